/**
 * A MediaClip built from media already cut into fragments: one single-track init segment and one
 * `moof`+`mdat` run per clip fragment for each track, and one MPEG-TS segment per clip fragment.
 * Every served fragment is a rewritten copy; the stored bytes are never modified.
 */
import {
  buildInitSegment,
  concatBytes,
  readInitTrack,
  rewriteFragment,
  type InitTrackParts,
} from './mp4-boxes';
import { firstVideoDecodeTime, payloadPacketCounts } from './mpeg-ts-reader';
import { setContinuityCounters, shiftTsTimestamps } from './mpeg-ts-rewriter';
import type { ClipStills, MediaClip, TrackInfo } from './types';

export interface TrackFragments {
  readonly info: TrackInfo;
  /** Single-track init segment (`ftyp` + `moov`); its track id is replaced by `info.trackNumber`. */
  readonly init: Uint8Array;
  /** One entry per clip fragment; may be empty for a track with no samples in that fragment. */
  readonly fragments: readonly Uint8Array[];
  /**
   * Per clip fragment, how far after the fragment start the track's first sample starts, in the
   * track's timescale (added to tfdt). Default 0.
   */
  readonly decodeOffsets?: readonly number[];
}

export interface FragmentedClipSource {
  readonly tracks: readonly TrackFragments[];
  readonly fragmentDurationsMs: readonly number[];
  readonly bandwidth: number;
  /** One MPEG-TS segment per clip fragment, all tracks, on any timeline. */
  readonly tsSegments: readonly Uint8Array[];
  readonly stills?: ClipStills;
}

/** 90 kHz, the MPEG-TS clock. */
const TS_TICKS_PER_MS = 90;

export function createFragmentedClip(source: FragmentedClipSource): MediaClip {
  const count = source.fragmentDurationsMs.length;
  if (count === 0) throw new Error('A media clip needs at least one fragment');
  if (source.tsSegments.length !== count) {
    throw new Error(`Expected ${count} MPEG-TS segments, got ${source.tsSegments.length}`);
  }
  const tracks = new Map<
    number,
    {
      info: TrackInfo;
      parts: InitTrackParts;
      init: Uint8Array;
      fragments: readonly Uint8Array[];
      decodeOffsets: readonly number[];
    }
  >();
  for (const track of source.tracks) {
    if (track.fragments.length !== count) {
      throw new Error(
        `Track ${track.info.trackNumber} has ${track.fragments.length} fragments, expected ${count}`,
      );
    }
    const parts = readInitTrack(track.init, track.info.trackNumber);
    tracks.set(track.info.trackNumber, {
      info: track.info,
      parts,
      init: buildInitSegment([parts]),
      fragments: track.fragments,
      decodeOffsets: track.decodeOffsets ?? [],
    });
  }
  const tsStarts = source.tsSegments.map((segment) => firstVideoDecodeTime(segment));
  const counterStarts = continuityCounterStarts(source.tsSegments);

  const track = (trackNumber: number) => {
    const found = tracks.get(trackNumber);
    if (!found) throw new RangeError(`The clip has no track ${trackNumber}`);
    return found;
  };
  const checkIndex = (clipIndex: number): void => {
    if (!Number.isInteger(clipIndex) || clipIndex < 0 || clipIndex >= count) {
      throw new RangeError(`Clip fragment ${clipIndex} out of range 0..${count - 1}`);
    }
  };
  const fragmentOf = (
    trackNumber: number,
    clipIndex: number,
    sequenceNumber: number,
    startMs: number,
  ): Uint8Array | undefined => {
    checkIndex(clipIndex);
    const t = track(trackNumber);
    const bytes = t.fragments[clipIndex];
    if (!bytes || bytes.length === 0) return undefined;
    return rewriteFragment(bytes, {
      sequenceNumber,
      baseMediaDecodeTime: toTicks(startMs, t.info.timescale) + BigInt(t.decodeOffsets[clipIndex] ?? 0),
      trackId: trackNumber,
    });
  };

  return {
    tracks: [...tracks.values()].map((t) => t.info),
    fragmentDurationsMs: [...source.fragmentDurationsMs],
    bandwidth: source.bandwidth,
    ...(source.stills === undefined ? {} : { stills: source.stills }),
    initSegment: (trackNumber) => track(trackNumber).init.slice(),
    mediaFragment: ({ clipIndex, trackNumber, sequenceNumber, startMs }) =>
      fragmentOf(trackNumber, clipIndex, sequenceNumber, startMs) ?? new Uint8Array(0),
    tsFragment: ({ clipIndex, startMs, fragmentIndex = clipIndex }) => {
      checkIndex(clipIndex);
      if (!Number.isSafeInteger(fragmentIndex) || fragmentIndex < 0 || fragmentIndex % count !== clipIndex) {
        throw new RangeError(`Fragment ${fragmentIndex} of the timeline is not clip fragment ${clipIndex}`);
      }
      const segment = source.tsSegments[clipIndex] ?? new Uint8Array(0);
      const start = tsStarts[clipIndex] ?? 0;
      const shifted = shiftTsTimestamps(segment, Math.round(startMs * TS_TICKS_PER_MS) - start);
      setContinuityCounters(shifted, counterStarts(fragmentIndex));
      return shifted;
    },
    clip: (fragments) => {
      // A clip is a file of its own: its timeline starts at zero, and its moov says how long it is (mehd),
      // so a player shows 0:00 to the clip's length rather than the stream's hours of archive before it.
      const originMs = fragments[0]?.startMs ?? 0;
      const lastFragment = fragments[fragments.length - 1];
      const lengthMs =
        lastFragment === undefined
          ? 0
          : lastFragment.startMs - originMs + (source.fragmentDurationsMs[lastFragment.clipIndex] ?? 0);
      const parts: Uint8Array[] = [
        buildInitSegment(
          [...tracks.values()].map((t) => t.parts),
          { fragmentDurationMs: lengthMs },
        ),
      ];
      // mfhd sequence numbers must increase moof after moof within one file.
      let sequenceNumber = 1;
      for (const fragment of fragments) {
        for (const trackNumber of tracks.keys()) {
          const bytes = fragmentOf(
            trackNumber,
            fragment.clipIndex,
            sequenceNumber,
            fragment.startMs - originMs,
          );
          if (!bytes) continue;
          parts.push(bytes);
          sequenceNumber += countMoofs(bytes);
        }
      }
      return concatBytes(parts);
    },
  };
}

/**
 * The first continuity counter of each PID in the fragment at a timeline position: the number of
 * payload packets of that PID in every fragment before it, modulo 16, whole loops included.
 */
function continuityCounterStarts(
  segments: readonly Uint8Array[],
): (fragmentIndex: number) => ReadonlyMap<number, number> {
  const counts = segments.map(payloadPacketCounts);
  const pids = new Set(counts.flatMap((perPid) => [...perPid.keys()]));
  const prefixes: Map<number, number>[] = [];
  const running = new Map<number, number>();
  for (const perPid of counts) {
    prefixes.push(new Map(running));
    for (const [pid, n] of perPid) running.set(pid, ((running.get(pid) ?? 0) + n) % 16);
  }
  return (fragmentIndex) => {
    const loops = Math.floor(fragmentIndex / segments.length) % 16;
    const prefix = prefixes[fragmentIndex % segments.length];
    const starts = new Map<number, number>();
    for (const pid of pids) {
      starts.set(pid, (loops * (running.get(pid) ?? 0) + (prefix?.get(pid) ?? 0)) % 16);
    }
    return starts;
  };
}

export function toTicks(ms: number, timescale: number): bigint {
  return BigInt(Math.round((ms * timescale) / 1000));
}

function countMoofs(fragment: Uint8Array): number {
  let count = 0;
  let offset = 0;
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  while (offset + 8 <= fragment.length) {
    if (view.getUint32(offset + 4) === 0x6d6f6f66) count += 1;
    offset += view.getUint32(offset);
  }
  return count;
}
