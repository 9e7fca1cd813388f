/**
 * A stream's archive as a pure function of time. The stream's clip loops from `originMs` on: timeline
 * fragment k is clip fragment k mod n of loop floor(k / n). Nothing is stored and no timer runs: what is
 * ingested, retained or expired follows from the clock that is passed in.
 */

export type TimestampSource = 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP';

export interface TimelineSpec {
  /** Producer start timestamp of the first fragment (epoch ms). */
  readonly originMs: number;
  /** The producer stopped: no fragment starting at or after this producer time exists. */
  readonly endMs?: number;
  readonly retentionMs: number;
  readonly durationsMs: readonly number[];
  /** Every Nth timeline fragment is ingested twice with the same producer timestamp; 0 = never. */
  readonly duplicateEvery: number;
  readonly fragmentNumberBase: bigint;
}

export interface ArchivedFragment {
  /** Position in ingest order; fragment numbers grow with it. */
  readonly ingestIndex: number;
  /** Position on the producer timeline (a duplicate shares it with the original). */
  readonly timelineIndex: number;
  readonly clipIndex: number;
  readonly fragmentNumber: string;
  readonly producerStartMs: number;
  readonly serverStartMs: number;
  readonly durationMs: number;
  readonly duplicate: boolean;
}

const FRAGMENT_NUMBER_STRIDE = 13n;
/** A producer retry reaches the service this much later than the original. */
const DUPLICATE_DELAY_MS = 300;
/** Upper bound of server − producer time, used to widen searches made by producer time. */
const MAX_INGEST_DELAY_MS = 1000;
const JITTER_SPIKE_MS = 120;
const JITTER_SPIKE_PERIOD = 23;

/**
 * Ingest delay of timeline fragment k: a few ms of deterministic noise, and a spike every
 * JITTER_SPIKE_PERIOD fragments so that server timestamps show real gaps and overlaps (> 50 ms).
 */
export function ingestJitterMs(k: number): number {
  const noise = Math.imul(k + 1, 2654435761) >>> 0;
  return (noise % 25) + (k % JITTER_SPIKE_PERIOD === JITTER_SPIKE_PERIOD - 1 ? JITTER_SPIKE_MS : 0);
}

export class Timeline {
  private readonly offsetsMs: number[];
  private readonly cycleMs: number;
  private readonly lastK: number;

  constructor(readonly spec: TimelineSpec) {
    if (spec.durationsMs.length === 0) throw new Error('a timeline needs at least one fragment duration');
    let total = 0;
    this.offsetsMs = spec.durationsMs.map((duration) => {
      const offset = total;
      total += duration;
      return offset;
    });
    this.cycleMs = total;
    this.lastK = spec.endMs === undefined ? Number.MAX_SAFE_INTEGER : this.firstKAtOrAfter(spec.endMs) - 1;
  }

  get clipLength(): number {
    return this.spec.durationsMs.length;
  }

  get maxDurationMs(): number {
    return Math.max(...this.spec.durationsMs);
  }

  producerStartMs(k: number): number {
    const n = this.clipLength;
    return this.spec.originMs + Math.floor(k / n) * this.cycleMs + (this.offsetsMs[k % n] ?? 0);
  }

  /** The smallest timeline index whose producer start is at or after `ms` (0 before the origin). */
  firstKAtOrAfter(ms: number): number {
    if (ms <= this.spec.originMs) return 0;
    const n = this.clipLength;
    const relative = ms - this.spec.originMs;
    const cycle = Math.floor(relative / this.cycleMs);
    const within = relative - cycle * this.cycleMs;
    let index = 0;
    while (index < n && (this.offsetsMs[index] ?? 0) < within) index += 1;
    return cycle * n + index;
  }

  firstIngestIndexOf(k: number): number {
    const every = this.spec.duplicateEvery;
    return every > 0 ? k + Math.floor(k / every) : k;
  }

  /** The fragment at ingest position j, whether or not it is ingested or retained yet. */
  fragment(j: number): ArchivedFragment {
    const every = this.spec.duplicateEvery;
    let k = j;
    let duplicate = false;
    if (every > 0) {
      const group = Math.floor(j / (every + 1));
      const position = j % (every + 1);
      duplicate = position === every;
      k = group * every + (duplicate ? every - 1 : position);
    }
    const n = this.clipLength;
    const producerStartMs = this.producerStartMs(k);
    return {
      ingestIndex: j,
      timelineIndex: k,
      clipIndex: k % n,
      fragmentNumber: (this.spec.fragmentNumberBase + BigInt(j) * FRAGMENT_NUMBER_STRIDE).toString(),
      producerStartMs,
      serverStartMs: producerStartMs + ingestJitterMs(k) + (duplicate ? DUPLICATE_DELAY_MS : 0),
      durationMs: this.spec.durationsMs[k % n] ?? 0,
      duplicate,
    };
  }

  /** The last ingested copy of timeline fragment k (the retry, when the producer sent it twice). */
  latestIngestOf(k: number): ArchivedFragment {
    const every = this.spec.duplicateEvery;
    const j = this.firstIngestIndexOf(k);
    return this.fragment(every > 0 && k % every === every - 1 ? j + 1 : j);
  }

  /** Ingested (complete at `nowMs`), within retention, and produced before the producer stopped. */
  isAvailable(fragment: ArchivedFragment, nowMs: number): boolean {
    return (
      fragment.timelineIndex <= this.lastK &&
      fragment.serverStartMs + fragment.durationMs <= nowMs &&
      fragment.serverStartMs >= nowMs - this.spec.retentionMs
    );
  }

  /** Looks a fragment number up; undefined when it never existed or is not available at `nowMs`. */
  byFragmentNumber(fragmentNumber: string, nowMs: number): ArchivedFragment | undefined {
    if (!/^\d{1,40}$/.test(fragmentNumber)) return undefined;
    const delta = BigInt(fragmentNumber) - this.spec.fragmentNumberBase;
    if (delta < 0n || delta % FRAGMENT_NUMBER_STRIDE !== 0n) return undefined;
    const j = delta / FRAGMENT_NUMBER_STRIDE;
    if (j > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const fragment = this.fragment(Number(j));
    return this.isAvailable(fragment, nowMs) ? fragment : undefined;
  }

  /** Available fragments whose `source` timestamp lies in [fromMs, toMs], in ingest order. */
  *range(nowMs: number, source: TimestampSource, fromMs: number, toMs: number): Generator<ArchivedFragment> {
    const lowerMs = Math.max(fromMs, nowMs - this.spec.retentionMs) - MAX_INGEST_DELAY_MS;
    for (let j = this.firstIngestIndexOf(this.firstKAtOrAfter(lowerMs)); ; j += 1) {
      const fragment = this.fragment(j);
      if (fragment.timelineIndex > this.lastK || fragment.producerStartMs > Math.min(toMs, nowMs)) return;
      const at = source === 'SERVER_TIMESTAMP' ? fragment.serverStartMs : fragment.producerStartMs;
      if (at >= fromMs && at <= toMs && this.isAvailable(fragment, nowMs)) yield fragment;
    }
  }

  /** Every available fragment from ingest position `fromIngestIndex` on, in ingest order. */
  *all(nowMs: number, fromIngestIndex = 0): Generator<ArchivedFragment> {
    const oldest = this.firstIngestIndexOf(
      this.firstKAtOrAfter(nowMs - this.spec.retentionMs - MAX_INGEST_DELAY_MS),
    );
    for (let j = Math.max(oldest, fromIngestIndex); ; j += 1) {
      const fragment = this.fragment(j);
      if (fragment.timelineIndex > this.lastK || fragment.producerStartMs > nowMs) return;
      if (this.isAvailable(fragment, nowMs)) yield fragment;
    }
  }

  /** The newest `count` available fragments by `source` time, oldest first. */
  newest(nowMs: number, count: number, source: TimestampSource): ArchivedFragment[] {
    const collected: ArchivedFragment[] = [];
    const oldestMs = nowMs - this.spec.retentionMs;
    let j = this.firstIngestIndexOf(Math.min(this.firstKAtOrAfter(nowMs), this.lastK + 1) + 1);
    let extra = 0;
    for (; j >= 0 && extra < 3; j -= 1) {
      const fragment = this.fragment(j);
      if (fragment.serverStartMs < oldestMs) break;
      if (!this.isAvailable(fragment, nowMs)) continue;
      collected.push(fragment);
      if (dedupe(collected, source).length >= count) extra += 1;
    }
    return sortBySource(dedupe(collected, source), source).slice(-count);
  }
}

export function sourceTimeMs(fragment: ArchivedFragment, source: TimestampSource): number {
  return source === 'SERVER_TIMESTAMP' ? fragment.serverStartMs : fragment.producerStartMs;
}

function sortBySource(fragments: ArchivedFragment[], source: TimestampSource): ArchivedFragment[] {
  return [...fragments].sort(
    (a, b) => sourceTimeMs(a, source) - sourceTimeMs(b, source) || a.ingestIndex - b.ingestIndex,
  );
}

/**
 * With producer timestamps, fragments that start at the same producer time are one fragment to a player:
 * the one ingested last (largest fragment number) wins.
 */
export function dedupe(fragments: readonly ArchivedFragment[], source: TimestampSource): ArchivedFragment[] {
  if (source === 'SERVER_TIMESTAMP') return [...fragments];
  const byStart = new Map<number, ArchivedFragment>();
  for (const fragment of fragments) {
    const current = byStart.get(fragment.producerStartMs);
    if (current === undefined || current.ingestIndex < fragment.ingestIndex) {
      byStart.set(fragment.producerStartMs, fragment);
    }
  }
  return sortBySource([...byStart.values()], source);
}
