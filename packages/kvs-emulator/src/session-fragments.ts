import type { Session } from './session-token';
import { dedupe, sourceTimeMs, type ArchivedFragment, type Timeline, type TimestampSource } from './timeline';

/** A player sees a gap or an overlap above this as a discontinuity. */
export const DISCONTINUITY_THRESHOLD_MS = 50;

/** The first `max` fragments of `fragments` after deduplication, reading no further than needed. */
function takeFirst(
  fragments: Iterable<ArchivedFragment>,
  source: TimestampSource,
  max: number,
): ArchivedFragment[] {
  const taken: ArchivedFragment[] = [];
  const starts = new Set<number>();
  for (const fragment of fragments) {
    if (source === 'PRODUCER_TIMESTAMP') {
      if (!starts.has(fragment.producerStartMs) && starts.size === max) break;
      starts.add(fragment.producerStartMs);
    } else if (taken.length === max) {
      break;
    }
    taken.push(fragment);
  }
  return dedupe(taken, source);
}

/**
 * The fragments a session's playlist or manifest lists at `nowMs`:
 * LIVE the newest N; ON_DEMAND the oldest N of the range; LIVE_REPLAY N from Start, then one more each
 * time the duration of the oldest released one has passed since the session started.
 */
export function sessionFragments(session: Session, timeline: Timeline, nowMs: number): ArchivedFragment[] {
  const { source, maxFragments } = session;
  if (session.mode === 'LIVE') return timeline.newest(nowMs, maxFragments, source);
  const fromMs = session.startMs ?? 0;
  const toMs = session.endMs ?? Number.MAX_SAFE_INTEGER;
  if (session.mode === 'ON_DEMAND') {
    return takeFirst(timeline.range(nowMs, source, fromMs, toMs), source, maxFragments);
  }
  const elapsedMs = nowMs - session.createdMs;
  const released: ArchivedFragment[] = [];
  let playedMs = 0;
  for (const fragment of dedupeStream(timeline.range(nowMs, source, fromMs, toMs), source)) {
    if (released.length >= maxFragments) {
      const oldest = released[released.length - maxFragments];
      if (!oldest || playedMs + oldest.durationMs > elapsedMs) break;
      playedMs += oldest.durationMs;
    }
    released.push(fragment);
  }
  return released.slice(-maxFragments);
}

/** Deduplicates an ingest-ordered sequence lazily: a retry directly follows its original. */
function* dedupeStream(
  fragments: Iterable<ArchivedFragment>,
  source: TimestampSource,
): Generator<ArchivedFragment> {
  let pending: ArchivedFragment | undefined;
  for (const fragment of fragments) {
    if (pending && (source === 'SERVER_TIMESTAMP' || pending.producerStartMs !== fragment.producerStartMs)) {
      yield pending;
    }
    pending = fragment;
  }
  if (pending) yield pending;
}

/** Whether a player should reset its timeline before `next`, given the fragment listed before it. */
export function isDiscontinuous(
  previous: ArchivedFragment,
  next: ArchivedFragment,
  source: TimestampSource,
): boolean {
  const expected = sourceTimeMs(previous, source) + previous.durationMs;
  return Math.abs(sourceTimeMs(next, source) - expected) > DISCONTINUITY_THRESHOLD_MS;
}

/** The stream-wide number of a fragment in the session's ordering: consecutive in a listing. */
export function streamSequenceNumberOf(fragment: ArchivedFragment, source: TimestampSource): number {
  return source === 'SERVER_TIMESTAMP' ? fragment.ingestIndex : fragment.timelineIndex;
}

/**
 * The number a fragment has in a session's playlists (EXT-X-MEDIA-SEQUENCE, DASH `$Number$` and the
 * `SequenceNumber` of fragment requests): counted from the session's first fragment, as KVS does.
 */
export function sequenceNumberOf(
  fragment: ArchivedFragment,
  session: Pick<Session, 'source' | 'sequenceBase'>,
): number {
  return streamSequenceNumberOf(fragment, session.source) - (session.sequenceBase ?? 0);
}

export function fragmentBySequenceNumber(
  timeline: Timeline,
  sequenceNumber: number,
  session: Pick<Session, 'source' | 'sequenceBase'>,
): ArchivedFragment {
  const streamSequence = sequenceNumber + (session.sequenceBase ?? 0);
  return session.source === 'SERVER_TIMESTAMP'
    ? timeline.fragment(streamSequence)
    : timeline.latestIngestOf(streamSequence);
}
