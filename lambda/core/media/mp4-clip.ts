/**
 * The MP4 of a clip, made of the parts GetClip answered. KVS answers a fragmented MP4 (`ftyp`, `moov`, then
 * `moof` + `mdat` pairs) of at most 200 fragments or 100 MB, so a longer range arrives in several parts;
 * this joins them into one file that plays from 0:00: the first part's `ftyp` and `moov`, then every
 * part's fragments with their sequence numbers renumbered and their decode times moved onto one timeline
 * that starts at zero, and the movie's fragment duration (`mehd`) set to the whole clip.
 *
 * Pure byte work on `Uint8Array`s (no Node.js buffers): only the boxes it needs are read, everything else
 * is copied as it came.
 */
import { StreamNotPlayableError, UpstreamError } from '../errors';

const UNREADABLE = 'Kinesis Video Streams answered a clip this service cannot read.';

/** `tfhd` flags (ISO/IEC 14496-12 §8.8.7). */
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
/** `trun` flags (§8.8.8). */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_CTO = 0x000800;

interface Box {
  readonly type: string;
  readonly start: number;
  /** Where the payload starts (after size, type and any 64-bit size). */
  readonly payload: number;
  readonly end: number;
}

interface Track {
  readonly id: number;
  readonly handler: string;
  readonly timescale: number;
  /** The sample description box (`stsd`), compared between parts: the codec and its settings. */
  readonly sampleDescription: string;
  /** From `trex`, when a fragment gives no duration of its own. */
  readonly defaultSampleDuration: number;
}

interface TrackRun {
  readonly trackId: number;
  /** Absolute offset of the `tfdt` box in the part. */
  readonly tfdt: Box;
  readonly decodeTime: bigint;
  /** Sum of the run's sample durations, in the track's timescale. */
  readonly duration: bigint;
}

interface Fragment {
  /** The bytes from the `moof` to the end of its media, copied as a unit (offsets inside stay valid). */
  readonly start: number;
  readonly end: number;
  readonly mfhd: Box;
  readonly runs: readonly TrackRun[];
}

/** One part of a clip, as GetClip answered it, read far enough to join it to others. */
export interface ParsedClipPart {
  readonly bytes: Uint8Array;
  readonly init: { readonly start: number; readonly end: number };
  readonly moov: Box;
  readonly movieTimescale: number;
  readonly tracks: ReadonlyMap<number, Track>;
  readonly videoTrackId: number;
  readonly fragments: readonly Fragment[];
  /** Decode time of the first video sample, in seconds of the part's own timeline. */
  readonly videoStartSeconds: number;
  /** From the first video sample to the end of the last one, in seconds. */
  readonly videoSpanSeconds: number;
  /** Video fragments (moofs carrying the video track). */
  readonly videoFragments: number;
}

class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset);
  }
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset);
  }
  type(offset: number): string {
    this.check(offset, 4);
    return String.fromCharCode(...this.bytes.subarray(offset, offset + 4));
  }
  private check(offset: number, length: number): void {
    if (offset < 0 || offset + length > this.bytes.length) throw new UpstreamError(UNREADABLE);
  }

  /** The boxes between `from` and `to`, in order. */
  boxes(from: number, to: number): Box[] {
    const found: Box[] = [];
    let offset = from;
    while (offset < to) {
      if (to - offset < 8) throw new UpstreamError(UNREADABLE);
      let size = this.u32(offset);
      const type = this.type(offset + 4);
      let payload = offset + 8;
      if (size === 1) {
        const large = this.u64(offset + 8);
        if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new UpstreamError(UNREADABLE);
        size = Number(large);
        payload = offset + 16;
      } else if (size === 0) {
        size = to - offset;
      }
      const end = offset + size;
      if (size < payload - offset || end > to) throw new UpstreamError(UNREADABLE);
      found.push({ type, start: offset, payload, end });
      offset = end;
    }
    return found;
  }

  child(parent: Box, type: string, skip = 0): Box | undefined {
    return this.boxes(parent.payload + skip, parent.end).find((box) => box.type === type);
  }

  required(parent: Box, type: string, skip = 0): Box {
    const box = this.child(parent, type, skip);
    if (!box) throw new UpstreamError(UNREADABLE);
    return box;
  }
}

/** `version` and `flags` of a full box. */
function fullBox(reader: Reader, box: Box): { version: number; flags: number } {
  const word = reader.u32(box.payload);
  return { version: word >>> 24, flags: word & 0xffffff };
}

/** The timescale of an `mvhd` or `mdhd` (same layout up to it). */
function timescaleOf(reader: Reader, box: Box): number {
  const { version } = fullBox(reader, box);
  const timescale = reader.u32(box.payload + (version === 1 ? 20 : 12));
  if (timescale === 0) throw new UpstreamError(UNREADABLE);
  return timescale;
}

function readTracks(reader: Reader, moov: Box): Map<number, Track> {
  const defaults = new Map<number, number>();
  const mvex = reader.child(moov, 'mvex');
  if (mvex) {
    for (const trex of reader.boxes(mvex.payload, mvex.end).filter((box) => box.type === 'trex')) {
      defaults.set(reader.u32(trex.payload + 4), reader.u32(trex.payload + 12));
    }
  }
  const tracks = new Map<number, Track>();
  for (const trak of reader.boxes(moov.payload, moov.end).filter((box) => box.type === 'trak')) {
    const tkhd = reader.required(trak, 'tkhd');
    const id = reader.u32(tkhd.payload + (fullBox(reader, tkhd).version === 1 ? 20 : 12));
    const mdia = reader.required(trak, 'mdia');
    const handler = reader.type(reader.required(mdia, 'hdlr').payload + 8);
    const timescale = timescaleOf(reader, reader.required(mdia, 'mdhd'));
    const stbl = reader.required(reader.required(mdia, 'minf'), 'stbl');
    const stsd = reader.required(stbl, 'stsd');
    tracks.set(id, {
      id,
      handler,
      timescale,
      sampleDescription: Array.from(reader.bytes.subarray(stsd.start, stsd.end), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join(''),
      defaultSampleDuration: defaults.get(id) ?? 0,
    });
  }
  return tracks;
}

function readRun(reader: Reader, traf: Box, tracks: ReadonlyMap<number, Track>): TrackRun {
  const tfhd = reader.required(traf, 'tfhd');
  const { flags: tfhdFlags } = fullBox(reader, tfhd);
  // An absolute base offset would point into this part's own file: it cannot be copied elsewhere.
  if (tfhdFlags & TFHD_BASE_DATA_OFFSET) throw new UpstreamError(UNREADABLE);
  const trackId = reader.u32(tfhd.payload + 4);
  const track = tracks.get(trackId);
  if (!track) throw new UpstreamError(UNREADABLE);
  let field = tfhd.payload + 8;
  if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) field += 4;
  const defaultDuration =
    tfhdFlags & TFHD_DEFAULT_SAMPLE_DURATION ? reader.u32(field) : track.defaultSampleDuration;

  const tfdt = reader.required(traf, 'tfdt');
  const decodeTime =
    fullBox(reader, tfdt).version === 1 ? reader.u64(tfdt.payload + 4) : BigInt(reader.u32(tfdt.payload + 4));

  let duration = 0n;
  for (const trun of reader.boxes(traf.payload, traf.end).filter((box) => box.type === 'trun')) {
    const { flags } = fullBox(reader, trun);
    const count = reader.u32(trun.payload + 4);
    let offset = trun.payload + 8;
    if (flags & TRUN_DATA_OFFSET) offset += 4;
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) offset += 4;
    const perSample =
      4 *
      [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTO].filter(
        (flag) => (flags & flag) !== 0,
      ).length;
    if (offset + count * perSample > trun.end) throw new UpstreamError(UNREADABLE);
    if (flags & TRUN_SAMPLE_DURATION) {
      for (let sample = 0; sample < count; sample += 1) {
        duration += BigInt(reader.u32(offset + sample * perSample));
      }
    } else {
      duration += BigInt(count) * BigInt(defaultDuration);
    }
  }
  return { trackId, tfdt, decodeTime, duration };
}

/** Reads one GetClip answer: its header, its tracks and the decode times of its fragments. */
export function parseClipPart(bytes: Uint8Array): ParsedClipPart {
  const reader = new Reader(bytes);
  const top = reader.boxes(0, bytes.length);
  const ftyp = top[0];
  const moov = top.find((box) => box.type === 'moov');
  if (!ftyp || ftyp.type !== 'ftyp' || !moov) throw new UpstreamError(UNREADABLE);
  const movieTimescale = timescaleOf(reader, reader.required(moov, 'mvhd'));
  const tracks = readTracks(reader, moov);
  const video = [...tracks.values()].find((track) => track.handler === 'vide');
  if (!video) throw new UpstreamError(UNREADABLE);

  const fragments: Fragment[] = [];
  const moofIndexes = top.flatMap((box, index) => (box.type === 'moof' ? [index] : []));
  for (const [position, index] of moofIndexes.entries()) {
    const moof = top[index]!;
    if (moof.start < moov.end) throw new UpstreamError(UNREADABLE);
    const next = moofIndexes[position + 1] ?? top.length;
    // The moof and what follows it up to the next moof: its media (mdat), copied with it.
    const media = top.slice(index + 1, next).filter((box) => box.type === 'mdat');
    const last = media[media.length - 1];
    if (!last) throw new UpstreamError(UNREADABLE);
    const runs = reader
      .boxes(moof.payload, moof.end)
      .filter((box) => box.type === 'traf')
      .map((traf) => readRun(reader, traf, tracks));
    fragments.push({ start: moof.start, end: last.end, mfhd: reader.required(moof, 'mfhd'), runs });
  }
  const videoRuns = fragments.flatMap((fragment) => fragment.runs.filter((run) => run.trackId === video.id));
  if (videoRuns.length === 0) throw new UpstreamError(UNREADABLE);
  const first = videoRuns.reduce(
    (min, run) => (run.decodeTime < min ? run.decodeTime : min),
    videoRuns[0]!.decodeTime,
  );
  const end = videoRuns.reduce((max, run) => {
    const runEnd = run.decodeTime + run.duration;
    return runEnd > max ? runEnd : max;
  }, 0n);
  return {
    bytes,
    init: { start: ftyp.start, end: moov.end },
    moov,
    movieTimescale,
    tracks,
    videoTrackId: video.id,
    fragments,
    videoStartSeconds: Number(first) / video.timescale,
    videoSpanSeconds: Number(end - first) / video.timescale,
    videoFragments: fragments.filter((fragment) => fragment.runs.some((run) => run.trackId === video.id))
      .length,
  };
}

export interface ClipPartPlacement {
  readonly part: ParsedClipPart;
  /**
   * Where the part's first video frame belongs on the clip's timeline, in seconds from the clip's first
   * video frame (the producer timestamps of their fragments apart; 0 for the first part).
   */
  readonly offsetSeconds: number;
}

export interface StitchedClip {
  readonly bytes: Uint8Array;
  /** From the clip's first sample to the end of its last, in seconds. */
  readonly durationSeconds: number;
}

/**
 * Joins the parts into one MP4 whose timeline starts at zero. Every part must carry the same tracks with
 * the same sample descriptions: a stream whose codec settings change within the range cannot be one file.
 */
export function stitchClip(placements: readonly ClipPartPlacement[]): StitchedClip {
  const first = placements[0];
  if (!first) throw new UpstreamError(UNREADABLE);
  for (const { part } of placements.slice(1)) {
    const same =
      part.tracks.size === first.part.tracks.size &&
      [...first.part.tracks.values()].every((track) => {
        const other = part.tracks.get(track.id);
        return (
          other !== undefined &&
          other.handler === track.handler &&
          other.timescale === track.timescale &&
          other.sampleDescription === track.sampleDescription
        );
      });
    if (!same) {
      throw new StreamNotPlayableError(
        "The stream's encoding changes within this range, so it cannot be one clip: ask for a range on either side of the change.",
      );
    }
  }

  // Seconds to add to each part's own decode times to put it on the clip's timeline.
  const shifts = placements.map(({ part, offsetSeconds }) => offsetSeconds - part.videoStartSeconds);
  // The earliest sample of any track (audio may start a little before the video) becomes 0:00.
  let earliest = Infinity;
  placements.forEach(({ part }, index) => {
    for (const fragment of part.fragments) {
      for (const run of fragment.runs) {
        const track = part.tracks.get(run.trackId)!;
        earliest = Math.min(earliest, Number(run.decodeTime) / track.timescale + shifts[index]!);
      }
    }
  });

  const init = first.part.bytes.subarray(first.part.init.start, first.part.init.end);
  const header = withMovieDuration(init, first.part, 0);
  const total =
    header.length +
    placements.reduce(
      (sum, { part }) => sum + part.fragments.reduce((bytes, f) => bytes + (f.end - f.start), 0),
      0,
    );
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(header, 0);
  let offset = header.length;
  let sequence = 1;
  let endSeconds = 0;
  placements.forEach(({ part }, index) => {
    for (const fragment of part.fragments) {
      out.set(part.bytes.subarray(fragment.start, fragment.end), offset);
      const relocate = (absolute: number): number => offset + (absolute - fragment.start);
      view.setUint32(relocate(fragment.mfhd.payload + 4), sequence);
      sequence += 1;
      for (const run of fragment.runs) {
        const track = part.tracks.get(run.trackId)!;
        const shiftTicks = BigInt(Math.round((shifts[index]! - earliest) * track.timescale));
        const decodeTime = run.decodeTime + shiftTicks;
        if (decodeTime < 0n) throw new UpstreamError(UNREADABLE);
        const at = relocate(run.tfdt.payload);
        if (out[at] === 1) {
          view.setBigUint64(at + 4, decodeTime);
        } else {
          if (decodeTime > 0xffffffffn) throw new UpstreamError(UNREADABLE);
          view.setUint32(at + 4, Number(decodeTime));
        }
        endSeconds = Math.max(endSeconds, Number(decodeTime + run.duration) / track.timescale);
      }
      offset += fragment.end - fragment.start;
    }
  });
  // Now that the length is known, write it into the header (same size: mehd was sized up front).
  const final = withMovieDuration(init, first.part, endSeconds);
  out.set(final, 0);
  return { bytes: out, durationSeconds: endSeconds };
}

/**
 * `ftyp` + `moov` with the movie's fragment duration (`mehd`, version 1) set to `seconds`, inserted into
 * `mvex` when it is not there: players read a fragmented file's length from it.
 */
function withMovieDuration(init: Uint8Array, part: ParsedClipPart, seconds: number): Uint8Array {
  const reader = new Reader(init);
  const moov = reader.boxes(0, init.length).find((box) => box.type === 'moov')!;
  const mvex = reader.child(moov, 'mvex');
  if (!mvex) return init.slice();
  const duration = BigInt(Math.ceil(seconds * part.movieTimescale));
  const mehd = new Uint8Array(20);
  const mehdView = new DataView(mehd.buffer);
  mehdView.setUint32(0, 20);
  mehd.set([0x6d, 0x65, 0x68, 0x64], 4); // 'mehd'
  mehdView.setUint32(8, 0x01000000); // version 1, flags 0
  mehdView.setBigUint64(12, duration);
  const existing = reader.child(mvex, 'mehd');
  const before = init.subarray(0, existing ? existing.start : mvex.payload);
  const after = init.subarray(existing ? existing.end : mvex.payload);
  const grown = mehd.length - (existing ? existing.end - existing.start : 0);
  const out = new Uint8Array(before.length + mehd.length + after.length);
  out.set(before, 0);
  out.set(mehd, before.length);
  out.set(after, before.length + mehd.length);
  const view = new DataView(out.buffer);
  // The boxes that contain mehd grow with it; both start before it, so they are where they were.
  for (const box of [moov, mvex]) {
    const size = view.getUint32(box.start);
    if (size === 1) view.setBigUint64(box.start + 8, view.getBigUint64(box.start + 8) + BigInt(grown));
    else if (size !== 0) view.setUint32(box.start, size + grown);
  }
  return out;
}
