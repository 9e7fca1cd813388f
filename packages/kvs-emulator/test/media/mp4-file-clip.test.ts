import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, loadFixtureClip, loadMp4FileClip, readFixtureManifest } from '../../src/media';
import type { MediaClip } from '../../src/media';
import { readProgramStreams, readPesTimestamps } from '../../src/media/mpeg-ts-reader';
import { checkTsPackets, fragmentTiming, parseMp4, topLevelTypes } from './mp4-parse';

const manifest = readFixtureManifest();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'media-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every fragment of a clip on a continuous timeline, twice round plus one (past the loop point). */
function positions(clip: MediaClip, startMs: number) {
  const count = clip.fragmentDurationsMs.length;
  let t = startMs;
  return Array.from({ length: count * 2 + 1 }, (_, i) => {
    const clipIndex = i % count;
    const position = { clipIndex, sequenceNumber: i + 1, startMs: t };
    t += clip.fragmentDurationsMs[clipIndex]!;
    return position;
  });
}

describe('loadMp4FileClip on a progressive MP4 with B-frames (the user sample)', () => {
  let clip: MediaClip;
  let source: ReturnType<typeof parseMp4>;

  beforeAll(async () => {
    clip = await loadMp4FileClip(fixturePath(manifest.userSample));
    const { readFileSync } = await import('node:fs');
    source = parseMp4(new Uint8Array(readFileSync(fixturePath(manifest.userSample))));
  });

  it('reports the source tracks and cuts one fragment per GOP', () => {
    const video = source.info.videoTracks[0]!;
    expect(source.info.isFragmented).toBe(false);
    expect(clip.tracks.map((t) => [t.trackNumber, t.kind])).toEqual([
      [1, 'video'],
      [2, 'audio'],
    ]);
    expect(clip.tracks[0]).toMatchObject({
      codecs: video.codec,
      timescale: video.timescale,
      width: video.video!.width,
    });
    const syncSamples = source.file.getTrackSamplesInfo(video.id).filter((s) => s.is_sync);
    expect(clip.fragmentDurationsMs).toHaveLength(syncSamples.length);
    const totalMs = clip.fragmentDurationsMs.reduce((a, b) => a + b, 0);
    expect(totalMs).toBeCloseTo((video.samples_duration / video.timescale) * 1000, 0);
    expect(clip.bandwidth).toBeGreaterThan(0);
  });

  it('yields fMP4 fragments that start at a keyframe, at startMs, and keep every frame', () => {
    const video = source.info.videoTracks[0]!;
    const sourceSamples = source.file.getTrackSamplesInfo(video.id);
    let previousTfdt = -1;
    let frames = 0;
    let reordered = 0;
    for (const position of positions(clip, 7_000).slice(0, clip.fragmentDurationsMs.length)) {
      const fragment = clip.mediaFragment({ ...position, trackNumber: 1 });
      expect(topLevelTypes(fragment)).toEqual(['moof', 'mdat']);
      const { file, errors } = parseMp4(Uint8Array.from(Buffer.concat([clip.initSegment(1), fragment])));
      expect(errors).toEqual([]);
      const tfdt = file.moofs[0]!.trafs[0]!.tfdt.baseMediaDecodeTime;
      expect(tfdt).toBe(Math.round((position.startMs * clip.tracks[0]!.timescale) / 1000));
      expect(tfdt).toBeGreaterThan(previousTfdt);
      previousTfdt = tfdt;
      const samples = file.getTrackSamplesInfo(1);
      expect(samples[0]!.is_sync).toBe(true);
      expect(samples.slice(1).every((s) => !s.is_sync)).toBe(true);
      if (samples.some((s, i) => i > 0 && s.cts < samples[i - 1]!.cts)) reordered += 1;
      frames += samples.length;
    }
    expect(frames).toBe(sourceSamples.length);
    // B-frames survive: presentation order differs from decode order inside GOPs.
    expect(reordered).toBeGreaterThan(0);
  });

  it('yields audio fragments that continue each other to the tick, across the loop point', () => {
    const audio = clip.tracks[1]!;
    const all = positions(clip, 12_000);
    const spans = all.map((position) =>
      fragmentTiming(clip.initSegment(2), clip.mediaFragment({ ...position, trackNumber: 2 })),
    );
    for (let k = 1; k < spans.length; k += 1) {
      expect(spans[k]!.tfdt).toBe(spans[k - 1]!.tfdt + spans[k - 1]!.ticks);
    }
    // One loop of audio lasts exactly one loop of video (the last frame covers the remainder).
    const count = clip.fragmentDurationsMs.length;
    const loopTicks = spans.slice(0, count).reduce((sum, span) => sum + span.ticks, 0);
    const loopMs = clip.fragmentDurationsMs.reduce((a, b) => a + b, 0);
    expect(loopTicks).toBe(Math.round((loopMs * audio.timescale) / 1000));
    // A/V sync as in the source: the audio starts when the first video frame is presented (after
    // the B-frame reordering delay), and the encoder priming frame is gone.
    const video = source.info.videoTracks[0]!;
    const firstVideo = source.file.getTrackSamplesInfo(video.id)[0]!;
    const presentationDelayTicks = Math.round(
      ((firstVideo.cts - firstVideo.dts) / video.timescale) * audio.timescale,
    );
    expect(presentationDelayTicks).toBeGreaterThan(0);
    expect(spans[0]!.tfdt - Math.round((12_000 * audio.timescale) / 1000)).toBe(presentationDelayTicks);
    const { file } = parseMp4(
      Uint8Array.from(
        Buffer.concat([clip.initSegment(2), clip.mediaFragment({ ...all[1]!, trackNumber: 2 })]),
      ),
    );
    expect(file.moofs[0]!.mfhd.sequence_number).toBe(all[1]!.sequenceNumber);
  });

  it('muxes MPEG-TS with valid packets, H.264 + AAC streams and decode times from startMs', () => {
    const all = positions(clip, 3_000);
    const segments = all.map((p) => clip.tsFragment(p));
    expect(checkTsPackets(segments.slice(0, clip.fragmentDurationsMs.length)).ccErrors).toBe(0);
    let previousDts = -1;
    segments.forEach((segment, i) => {
      const streams = readProgramStreams(segment);
      expect(streams.map((s) => s.streamType)).toEqual([0x1b, 0x0f]);
      const timestamps = readPesTimestamps(segment);
      const video = timestamps.filter((t) => t.pid === streams[0]!.pid);
      expect(video[0]!.dts ?? video[0]!.pts).toBe(all[i]!.startMs * 90);
      for (const t of video) {
        const dts = t.dts ?? t.pts!;
        expect(dts).toBeGreaterThan(previousDts);
        expect(t.pts!).toBeGreaterThanOrEqual(dts);
        previousDts = dts;
      }
      // The first video PES of each segment is a keyframe with SPS and PPS in Annex B form.
      const payload = Buffer.from(segment.subarray(video[0]!.offset, video[0]!.offset + 184 - 4));
      expect(payload.includes(Buffer.from([0, 0, 0, 1, 0x67]))).toBe(true);
      expect(timestamps.some((t) => t.pid === streams[1]!.pid)).toBe(true);
    });
  });

  it('builds a clip that parses with both tracks', () => {
    const bytes = clip.clip(positions(clip, 0).slice(0, 2));
    const { info, errors } = parseMp4(bytes);
    expect(errors).toEqual([]);
    expect(info.tracks.map((t) => t.codec)).toEqual(clip.tracks.map((t) => t.codecs));
  });
});

describe('loadMp4FileClip on a fragmented MP4', () => {
  it('reloads the fixture clip written by clip() with the same GOPs and codecs', async () => {
    const fixture = loadFixtureClip();
    const count = fixture.fragmentDurationsMs.length;
    const file = join(dir, 'fragmented.mp4');
    writeFileSync(file, fixture.clip(positions(fixture, 0).slice(0, count)));
    const clip = await loadMp4FileClip(file);
    expect(clip.fragmentDurationsMs).toEqual(manifest.fragmentDurationsMs);
    expect(clip.tracks.map((t) => t.codecs)).toEqual(fixture.tracks.map((t) => t.codecs));
    const fragment = clip.mediaFragment({
      clipIndex: count - 1,
      trackNumber: 1,
      sequenceNumber: 3,
      startMs: 500,
    });
    const { file: parsed } = parseMp4(Uint8Array.from(Buffer.concat([clip.initSegment(1), fragment])));
    expect(parsed.getTrackSamplesInfo(1)[0]!.is_sync).toBe(true);
  });

  it('rejects a file that is not an MP4', async () => {
    const file = join(dir, 'not-mp4.mp4');
    writeFileSync(file, Buffer.from('this is not an mp4 file at all'));
    await expect(loadMp4FileClip(file)).rejects.toThrow(/not an MP4/);
  });

  it('rejects an MP4 without H.264 video', async () => {
    const fixture = loadFixtureClip();
    const file = join(dir, 'audio-only.mp4');
    const fragment = fixture.mediaFragment({ clipIndex: 0, trackNumber: 2, sequenceNumber: 1, startMs: 0 });
    writeFileSync(file, Buffer.concat([fixture.initSegment(2), fragment]));
    await expect(loadMp4FileClip(file)).rejects.toThrow(/no H\.264 video track \(found: mp4a\.40\.2\)/);
  });
});
