import { readFileSync, statSync } from 'node:fs';
import { fixturePath, FIXTURES_DIR, loadFixtureClip, readFixtureManifest } from '../../src/media';
import { TIMESTAMP_MODULUS } from '../../src/media/mpeg-ts-fields';
import { readProgramStreams, readPesTimestamps } from '../../src/media/mpeg-ts-reader';
import { checkTsPackets, decodeTimesByPid, fragmentTiming, parseMp4, topLevelTypes } from './mp4-parse';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const manifest = readFixtureManifest();
const clip = loadFixtureClip();
const count = manifest.fragmentDurationsMs.length;
const START_MS = 1_764_000_000_000;

/** Consecutive timeline positions through the clip and past its loop point. */
function timeline(n: number, startMs = START_MS) {
  const out: { clipIndex: number; sequenceNumber: number; startMs: number }[] = [];
  let t = startMs;
  for (let i = 0; i < n; i += 1) {
    const clipIndex = i % count;
    out.push({ clipIndex, sequenceNumber: 100 + i, startMs: t });
    t += manifest.fragmentDurationsMs[clipIndex]!;
  }
  return out;
}

describe('committed fixture', () => {
  it('stays well under 2 MB and lists only files that exist', () => {
    const total = readdirSync(FIXTURES_DIR).reduce((sum, f) => sum + statSync(join(FIXTURES_DIR, f)).size, 0);
    expect(total).toBeLessThan(1.5 * 1024 * 1024);
    const listed = [
      ...manifest.tracks.flatMap((t) => [t.init, ...t.fragments]),
      ...manifest.tsSegments,
      manifest.userSample,
    ];
    for (const name of listed) expect(statSync(fixturePath(name)).size).toBeGreaterThan(0);
  });

  it('has one video GOP of gopSeconds per fragment and lasts 8 to 12 s', () => {
    const totalMs = manifest.fragmentDurationsMs.reduce((a, b) => a + b, 0);
    expect(totalMs).toBeGreaterThanOrEqual(8000);
    expect(totalMs).toBeLessThanOrEqual(12000);
    for (const ms of manifest.fragmentDurationsMs) expect(ms).toBe(manifest.gopSeconds * 1000);
  });
});

describe('loadFixtureClip', () => {
  it('describes H.264 video and AAC audio tracks from the manifest', () => {
    expect(clip.tracks.map((t) => [t.trackNumber, t.kind, t.codecId])).toEqual([
      [1, 'video', 'V_MPEG/ISO/AVC'],
      [2, 'audio', 'A_AAC'],
    ]);
    expect(clip.tracks[0]!.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(clip.tracks[1]!.codecs).toBe('mp4a.40.2');
    expect(clip.fragmentDurationsMs).toEqual(manifest.fragmentDurationsMs);
    expect(clip.bandwidth).toBe(manifest.bandwidth);
    expect(loadFixtureClip()).toBe(clip);
  });

  it.each([
    [1, 'avcC'],
    [2, 'esds'],
  ])('init segment of track %i is ftyp + moov with %s and the track timescale', (trackNumber, configBox) => {
    const init = clip.initSegment(trackNumber);
    expect(topLevelTypes(init)).toEqual(['ftyp', 'moov']);
    const { file, info, errors } = parseMp4(init);
    expect(errors).toEqual([]);
    expect(info.isFragmented).toBe(true);
    expect(file.moov.traks).toHaveLength(1);
    const trak = file.moov.traks[0]!;
    expect(trak.tkhd.track_id).toBe(trackNumber);
    const entry = trak.mdia.minf.stbl.stsd.entries[0] as unknown as Record<string, unknown>;
    expect(entry[configBox]).toBeDefined();
    const track = clip.tracks.find((t) => t.trackNumber === trackNumber)!;
    expect(info.tracks[0]!.timescale).toBe(track.timescale);
    expect(info.tracks[0]!.codec).toBe(track.codecs);
  });

  it('gives a video-only clip when audio is false', () => {
    const videoOnly = loadFixtureClip({ audio: false });
    expect(videoOnly.tracks.map((t) => t.kind)).toEqual(['video']);
    expect(() => videoOnly.initSegment(2)).toThrow(RangeError);
    const segment = videoOnly.tsFragment({ clipIndex: 0, startMs: 0 });
    expect(readProgramStreams(segment).map((s) => s.kind)).toEqual(['video']);
    const pids = new Set(readPesTimestamps(segment).map((t) => t.pid));
    expect(pids.size).toBe(1);
  });

  it('rejects a clip index outside the clip', () => {
    expect(() =>
      clip.mediaFragment({ clipIndex: count, trackNumber: 1, sequenceNumber: 1, startMs: 0 }),
    ).toThrow(RangeError);
    expect(() => clip.tsFragment({ clipIndex: -1, startMs: 0 })).toThrow(RangeError);
  });
});

describe('fMP4 media fragments', () => {
  it.each([1, 2])(
    'track %i: moof + mdat with tfdt at startMs and increasing sequence numbers across the loop point',
    (trackNumber) => {
      const track = clip.tracks.find((t) => t.trackNumber === trackNumber)!;
      const positions = timeline(count * 2 + 1);
      let previousTfdt = -1;
      let previousSequence = -1;
      for (const position of positions) {
        const fragment = clip.mediaFragment({ ...position, trackNumber });
        const types = topLevelTypes(fragment);
        expect(types[0]).toBe('moof');
        expect(types[1]).toBe('mdat');
        const { file, errors } = parseMp4(concat(clip.initSegment(trackNumber), fragment));
        expect(errors).toEqual([]);
        const moof = file.moofs[0]!;
        const tfdt = moof.trafs[0]!.tfdt;
        expect(tfdt.version).toBe(1);
        expect(tfdt.baseMediaDecodeTime).toBe(Math.round((position.startMs * track.timescale) / 1000));
        expect(moof.trafs[0]!.tfhd.track_id).toBe(trackNumber);
        expect(moof.mfhd.sequence_number).toBe(position.sequenceNumber);
        expect(tfdt.baseMediaDecodeTime).toBeGreaterThan(previousTfdt);
        expect(moof.mfhd.sequence_number).toBeGreaterThan(previousSequence);
        previousTfdt = tfdt.baseMediaDecodeTime;
        previousSequence = moof.mfhd.sequence_number;
      }
    },
  );

  it('keeps the sample data and points trun.data_offset at it', () => {
    const original = readFileSync(fixturePath(manifest.tracks[0]!.fragments[1]!));
    const fragment = clip.mediaFragment({
      clipIndex: 1,
      trackNumber: 1,
      sequenceNumber: 7,
      startMs: START_MS,
    });
    const { file } = parseMp4(concat(clip.initSegment(1), fragment));
    const samples = file.getTrackSamplesInfo(1);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[0]!.is_sync).toBe(true);
    const initLength = clip.initSegment(1).length;
    const firstSample = fragment.subarray(
      samples[0]!.offset - initLength,
      samples[0]!.offset - initLength + samples[0]!.size,
    );
    expect(Buffer.from(original).includes(Buffer.from(firstSample))).toBe(true);
    // AVCC: a 4-byte NAL length that fits in the sample, then a NAL header with forbidden bit 0.
    const nalLength = new DataView(firstSample.buffer, firstSample.byteOffset).getUint32(0);
    expect(nalLength).toBeLessThan(firstSample.length);
    expect(firstSample[4]! & 0x80).toBe(0);
    const totalDuration = samples.reduce((sum, s) => sum + s.duration, 0);
    expect((totalDuration * 1000) / clip.tracks[0]!.timescale).toBeCloseTo(
      manifest.fragmentDurationsMs[1]!,
      0,
    );
  });
});

describe('audio timeline', () => {
  const audio = clip.tracks.find((t) => t.kind === 'audio')!;
  const video = clip.tracks.find((t) => t.kind === 'video')!;

  it('gives every clip fragment exactly as much audio as video, to the tick', () => {
    manifest.fragmentDurationsMs.forEach((durationMs, clipIndex) => {
      const spans = [video, audio].map((track) =>
        fragmentTiming(
          clip.initSegment(track.trackNumber),
          clip.mediaFragment({ clipIndex, trackNumber: track.trackNumber, sequenceNumber: 1, startMs: 0 }),
        ),
      );
      expect(spans.map((s) => s.ticks)).toEqual([
        (durationMs * video.timescale) / 1000,
        (durationMs * audio.timescale) / 1000,
      ]);
    });
    expect(manifest.audioFragmentDurationsMs).toEqual(manifest.fragmentDurationsMs);
  });

  it('continues each served audio fragment where the one before ended, across the loop point', () => {
    const spans = timeline(count * 2 + 2).map((position) =>
      fragmentTiming(
        clip.initSegment(audio.trackNumber),
        clip.mediaFragment({ ...position, trackNumber: 2 }),
      ),
    );
    for (let k = 1; k < spans.length; k += 1) {
      expect(spans[k]!.tfdt).toBe(spans[k - 1]!.tfdt + spans[k - 1]!.ticks);
    }
    expect(spans[0]!.tfdt).toBe((START_MS * audio.timescale) / 1000);
  });
});

describe('MPEG-TS fragments', () => {
  it("continue every PID's continuity counter and keep PTS/DTS increasing across the loop point", () => {
    const positions = timeline(count * 2 + 2).slice(count - 2);
    const segments = positions.map((p, i) => clip.tsFragment({ ...p, fragmentIndex: count - 2 + i }));
    const { packets, ccErrors } = checkTsPackets(segments);
    expect(packets).toBeGreaterThan(segments.length * 10);
    expect(ccErrors).toBe(0);
    const streams = readProgramStreams(segments[0]!);
    expect(streams.map((s) => s.kind)).toEqual(['video', 'audio']);
    const byPid = decodeTimesByPid(segments, readPesTimestamps);
    for (const stream of streams) {
      const times = byPid.get(stream.pid)!;
      expect(times.length).toBeGreaterThan(segments.length);
      for (let i = 1; i < times.length; i += 1) expect(times[i]!.dts).toBeGreaterThan(times[i - 1]!.dts);
    }
    // Audio frames follow each other back to back: 1024 samples apart, the loop point included.
    const audioPid = streams[1]!.pid;
    const frameTicks = (1024 * 90_000) / clip.tracks.find((t) => t.kind === 'audio')!.sampleRate!;
    const audioPts = byPid.get(audioPid)!.map((t) => t.pts);
    const steps = new Set(audioPts.slice(1).map((pts, i) => pts - audioPts[i]!));
    expect([...steps]).toEqual([frameTicks]);
  });

  it('rejects a timeline position that is not the clip fragment asked for', () => {
    expect(() => clip.tsFragment({ clipIndex: 1, startMs: 0, fragmentIndex: count + 2 })).toThrow(RangeError);
  });

  it('gives a video-only clip continuous counters too', () => {
    const videoOnly = loadFixtureClip({ audio: false });
    const segments = timeline(count + 3).map((p, i) => videoOnly.tsFragment({ ...p, fragmentIndex: i }));
    expect(checkTsPackets(segments).ccErrors).toBe(0);
  });

  it('have 188-byte packets, sync bytes and valid continuity counters through the clip', () => {
    const segments = timeline(count).map((p) => clip.tsFragment(p));
    const { packets, ccErrors } = checkTsPackets(segments);
    expect(packets).toBeGreaterThan(count * 10);
    expect(ccErrors).toBe(0);
  });

  it('start at startMs on the 90 kHz clock, with increasing video PTS across the loop point', () => {
    const positions = timeline(count * 2 + 1, 95_443_000);
    let previous = -1;
    for (const position of positions) {
      const segment = clip.tsFragment(position);
      const video = readProgramStreams(segment).find((s) => s.kind === 'video')!;
      const pts = readPesTimestamps(segment)
        .filter((t) => t.pid === video.pid)
        .map((t) => t.pts!);
      const expectedStart = (position.startMs * 90) % TIMESTAMP_MODULUS;
      expect(pts[0]).toBe(expectedStart);
      for (const value of pts) {
        // Unwrap across the 2^33 boundary (95 443 s): the timeline above crosses it.
        const unwrapped = value < previous - TIMESTAMP_MODULUS / 2 ? value + TIMESTAMP_MODULUS : value;
        expect(unwrapped).toBeGreaterThan(previous);
        previous = unwrapped;
      }
      previous %= TIMESTAMP_MODULUS;
      const lastExpected =
        expectedStart + (manifest.fragmentDurationsMs[position.clipIndex]! - 1000 / 20) * 90;
      expect(
        (pts[pts.length - 1]! - (lastExpected % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS,
      ).toBeLessThan(90 * 2);
    }
  });

  it('carry audio PES with PTS near the fragment start', () => {
    const segment = clip.tsFragment({ clipIndex: 2, startMs: 60_000 });
    const audio = readProgramStreams(segment).find((s) => s.kind === 'audio')!;
    const pts = readPesTimestamps(segment).filter((t) => t.pid === audio.pid);
    expect(pts.length).toBeGreaterThan(0);
    expect(Math.abs(pts[0]!.pts! - 60_000 * 90)).toBeLessThan(90 * 50);
  });
});

describe('clip()', () => {
  it('is a playable MP4 holding both tracks and the requested fragments', () => {
    const positions = timeline(3, 0).map((p, i) => ({ ...p, clipIndex: (count - 1 + i) % count }));
    const bytes = clip.clip(positions);
    const types = topLevelTypes(bytes);
    expect(types.slice(0, 2)).toEqual(['ftyp', 'moov']);
    // One moof per track and fragment, more where a fixture fragment holds several (audio leftovers).
    expect(types.filter((t) => t === 'moof').length).toBeGreaterThanOrEqual(positions.length * 2);
    const { file, info, errors } = parseMp4(bytes);
    expect(errors).toEqual([]);
    expect(info.tracks.map((t) => t.codec)).toEqual(clip.tracks.map((t) => t.codecs));
    const sequence = file.moofs.map((m) => m.mfhd.sequence_number);
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(new Set(sequence).size).toBe(sequence.length);
    const videoTfdts = file.moofs
      .filter((m) => m.trafs[0]!.tfhd.track_id === 1)
      .map((m) => m.trafs[0]!.tfdt.baseMediaDecodeTime);
    expect(videoTfdts).toEqual(
      positions.map((p) => Math.round((p.startMs * clip.tracks[0]!.timescale) / 1000)),
    );
    const videoSamples = file.getTrackSamplesInfo(1);
    const frameRate = clip.tracks[0]!.frameRate!;
    const expectedFrames =
      positions.reduce((sum, p) => sum + manifest.fragmentDurationsMs[p.clipIndex]!, 0) * (frameRate / 1000);
    expect(videoSamples).toHaveLength(expectedFrames);
    expect(file.getTrackSamplesInfo(2).length).toBeGreaterThan(0);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
