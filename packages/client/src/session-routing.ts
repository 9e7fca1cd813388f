import type { ActiveSession } from './playback-session.js';

const TOKEN_PARAM = /([?&]SessionToken=)([^&#]*)/;
const PROTOCOL_MARKER = /\/(?:hls|dash)\/v1\//;

/** The raw (still URL-encoded) session token of a KVS playback URL. */
export function sessionTokenOf(url: string): string | undefined {
  return TOKEN_PARAM.exec(url)?.[2];
}

/**
 * Points a player's requests at one session of the stream: the data endpoint and the token of that
 * session, the rest of the request (file, fragment, track) unchanged. Knows which session each token
 * belongs to, so a refusal can be told apart from a refusal of an older session.
 */
export class SessionRouter {
  private readonly generations = new Map<string, number>();
  private readonly sessions = new Map<number, ActiveSession>();
  private target: ActiveSession | undefined;

  /** Remembers a session; it becomes the target only through {@link switchTo}. */
  add(session: ActiveSession): void {
    const token = sessionTokenOf(session.url);
    if (token !== undefined) this.generations.set(token, session.generation);
    this.sessions.set(session.generation, session);
    // Sessions more than two renewals old have expired: forget them.
    for (const generation of this.sessions.keys()) {
      if (generation < session.generation - 2) this.sessions.delete(generation);
    }
    for (const [knownToken, generation] of this.generations) {
      if (generation < session.generation - 2) this.generations.delete(knownToken);
    }
  }

  switchTo(generation: number): void {
    const session = this.sessions.get(generation);
    if (session && (!this.target || generation > this.target.generation)) this.target = session;
  }

  get targetGeneration(): number | undefined {
    return this.target?.generation;
  }

  /** The generation of the session whose token `url` carries; undefined for a URL of no known session. */
  generationOf(url: string): number | undefined {
    const token = sessionTokenOf(url);
    return token === undefined ? undefined : this.generations.get(token);
  }

  /** `url` rewritten to the target session; URLs that are not KVS playback URLs pass unchanged. */
  route(url: string): string {
    const target = this.target;
    if (!target || !TOKEN_PARAM.test(url)) return url;
    const marker = PROTOCOL_MARKER.exec(url);
    const targetMarker = PROTOCOL_MARKER.exec(target.url);
    const targetToken = sessionTokenOf(target.url);
    if (!marker || !targetMarker || targetToken === undefined) return url;
    const rebased = target.url.slice(0, targetMarker.index) + url.slice(marker.index);
    return rebased.replace(TOKEN_PARAM, (_, prefix: string) => `${prefix}${targetToken}`);
  }
}

const FRAGMENT_NUMBER = /[?&]FragmentNumber=([^&#]*)/;
const MEDIA_SEQUENCE = /^#EXT-X-MEDIA-SEQUENCE:(\d+)\s*$/m;

function compareFragmentNumbers(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

interface TrackHistory {
  /** Fragment number → media sequence number, as the player has seen them in the newest playlist. */
  readonly numbers: Map<string, number>;
  lastSequence: number;
  lastFragment: string;
}

/**
 * Keeps the media sequence numbers of HLS media playlists continuous across sessions. KVS numbers the
 * segments of a playlist per session, while fragment numbers belong to the stream: a playlist of a new
 * session is renumbered so that a fragment the player has seen keeps its number, and new fragments follow
 * on. A playlist of the session the player started with passes unchanged.
 */
export class HlsSequenceMap {
  private readonly offsets = new Map<string, number>();
  private readonly tracks = new Map<string, TrackHistory>();

  /** Rewrites a media playlist fetched from `generation`'s session for `track` (master playlists pass). */
  rewrite(playlist: string, track: string, generation: number): string {
    const sequenceMatch = MEDIA_SEQUENCE.exec(playlist);
    if (!sequenceMatch) return playlist;
    const fragments = playlist
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => FRAGMENT_NUMBER.exec(line)?.[1]);
    if (fragments.length === 0 || fragments.some((fragment) => fragment === undefined)) return playlist;
    const numbers = fragments as string[];
    const firstSequence = Number(sequenceMatch[1]);
    const key = `${generation}/${track}`;
    let offset = this.offsets.get(key);
    const history = this.tracks.get(track);
    if (offset === undefined) {
      offset = history ? this.offsetFrom(history, numbers, firstSequence) : 0;
      this.offsets.set(key, offset);
    }
    const sequenceOf = (index: number): number => firstSequence + offset + index;
    this.tracks.set(track, {
      numbers: new Map(numbers.map((fragment, index) => [fragment, sequenceOf(index)])),
      lastSequence: sequenceOf(numbers.length - 1),
      lastFragment: numbers[numbers.length - 1]!,
    });
    if (offset === 0) return playlist;
    return playlist.replace(MEDIA_SEQUENCE, `#EXT-X-MEDIA-SEQUENCE:${firstSequence + offset}`);
  }

  private offsetFrom(history: TrackHistory, numbers: readonly string[], firstSequence: number): number {
    for (const [index, fragment] of numbers.entries()) {
      const known = history.numbers.get(fragment);
      if (known !== undefined) return known - (firstSequence + index);
    }
    // No fragment in common (the stream paused longer than a playlist): newer fragments follow on.
    const index = numbers.findIndex((fragment) => compareFragmentNumbers(fragment, history.lastFragment) > 0);
    return index < 0 ? 0 : history.lastSequence + 1 - (firstSequence + index);
  }
}

const SEGMENT_TEMPLATE = /<SegmentTemplate\b[^>]*>[\s\S]*?<\/SegmentTemplate>|<SegmentTemplate\b[^>]*\/>/g;
const START_NUMBER = /\bstartNumber="(\d+)"/;
const SEGMENT = /<S\b([^>]*)\/>/g;

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attributes)?.[1];
}

interface DashEntry {
  /** `kvs:fn` when the manifest shows fragment numbers, else the media time. */
  readonly key: string;
  readonly number: number;
  readonly time: number;
}

function dashEntries(manifest: string): DashEntry[] {
  const template = manifest.match(SEGMENT_TEMPLATE)?.[0];
  if (!template) return [];
  const startNumber = Number(START_NUMBER.exec(template)?.[1] ?? '1');
  const entries: DashEntry[] = [];
  let time = 0;
  for (const [, attributes = ''] of template.matchAll(SEGMENT)) {
    const t = attribute(attributes, 't');
    const d = Number(attribute(attributes, 'd') ?? '0');
    const repeat = Number(attribute(attributes, 'r') ?? '0');
    if (t !== undefined) time = Number(t);
    const fragmentNumber = attribute(attributes, 'kvs:fn');
    for (let k = 0; k <= repeat; k += 1) {
      entries.push({
        key: fragmentNumber !== undefined && k === 0 ? `fn:${fragmentNumber}` : `t:${time}`,
        number: startNumber + entries.length,
        time,
      });
      time += d;
    }
  }
  return entries;
}

/**
 * Keeps DASH segment numbers continuous across sessions. KVS identifies a manifest's segments by "their
 * sequence number in the session", so a new session numbers the same fragments differently: its manifest
 * is renumbered (`startNumber`) into the player's numbering, and a segment request carries the player's
 * number back into the numbering of the session it is sent to. Segments are matched by `kvs:fn` when the
 * manifest shows fragment numbers, else by their media time.
 */
export class DashNumberMap {
  /** Player number = session number + offset. */
  private readonly offsets = new Map<number, number>();
  private seen = new Map<string, { number: number; time: number }>();
  private lastNumber: number | undefined;
  private lastTime = -Infinity;
  /** Media time shifts seen between sessions for the same fragment (KVS documents none; reported). */
  readonly timelineShifts: number[] = [];

  hasOffset(generation: number): boolean {
    return this.offsets.has(generation);
  }

  /** Learns `generation`'s numbering from its manifest and returns the manifest in the player's numbering. */
  rewrite(manifest: string, generation: number): string {
    const entries = dashEntries(manifest);
    if (entries.length === 0) return manifest;
    let offset = this.offsets.get(generation);
    if (offset === undefined) {
      offset = this.offsetFrom(entries);
      this.offsets.set(generation, offset);
    }
    const applied = offset;
    this.seen = new Map(
      entries.map((entry) => [entry.key, { number: entry.number + applied, time: entry.time }]),
    );
    const last = entries[entries.length - 1]!;
    this.lastNumber = last.number + applied;
    this.lastTime = last.time;
    if (applied === 0) return manifest;
    return manifest.replace(SEGMENT_TEMPLATE, (template) =>
      template.replace(START_NUMBER, (_, start: string) => `startNumber="${Number(start) + applied}"`),
    );
  }

  /** A segment URL in the player's numbering, translated for the session of `generation`. */
  translate(url: string, generation: number): string {
    const offset = this.offsets.get(generation);
    if (!offset) return url;
    return url.replace(/([?&]SequenceNumber=)(\d+)/, (_, prefix: string, value: string) => {
      return `${prefix}${Number(value) - offset}`;
    });
  }

  private offsetFrom(entries: readonly DashEntry[]): number {
    if (this.lastNumber === undefined) return 0;
    for (const entry of entries) {
      const known = this.seen.get(entry.key);
      if (known !== undefined) {
        if (known.time !== entry.time) this.timelineShifts.push(known.time - entry.time);
        return known.number - entry.number;
      }
    }
    const next = entries.find((entry) => entry.time > this.lastTime);
    return next ? this.lastNumber + 1 - next.number : 0;
  }
}
