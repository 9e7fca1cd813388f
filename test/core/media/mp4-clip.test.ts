import { startKvsEmulator, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createKvsMediaAdapter } from '../../../lambda/adapters/kvs/media-adapter';
import { StreamNotPlayableError, UpstreamError } from '../../../lambda/core/errors';
import { parseClipPart, stitchClip, type ParsedClipPart } from '../../../lambda/core/media/mp4-clip';
import { ffprobe, inspectMp4 } from '../../support/mp4';

/**
 * The MP4 work of clips on real GetClip answers (the emulator's, cut at 3 fragments of 2 s): one file from
 * several parts, on one timeline from 0:00, whatever timeline each part came on.
 */
describe('stitchClip', () => {
  let emulator: RunningEmulator;
  /** Two consecutive GetClip answers of 6 s each (each on a timeline of its own from 0, as the emulator answers). */
  let first: ParsedClipPart;
  let second: ParsedClipPart;

  beforeAll(async () => {
    emulator = await startKvsEmulator({ port: 0, limits: { clipMaxFragments: 3 } });
    const kvs = createKvsMediaAdapter({
      region: emulator.region,
      endpoint: emulator.endpoint,
      credentials: emulator.credentials,
      callTimeoutMs: 5_000,
      endpointCacheTtlMs: 60_000,
      endpointCacheMaxEntries: 10,
    });
    const start = Math.floor((Date.now() - 10 * 60_000) / 2000) * 2000;
    const clip = (from: number) =>
      kvs.getClip(
        { streamName: 'front-door', timestampSource: 'PRODUCER', start: from, end: from + 60_000 },
        Date.now() + 10_000,
      );
    first = parseClipPart(await clip(start));
    second = parseClipPart(await clip(start + 6_000));
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('reads a part: its video start, span and fragments', () => {
    expect(first.videoSpanSeconds).toBe(6);
    expect(first.videoFragments).toBe(3);
    expect(second.videoSpanSeconds).toBe(6);
    // Each answer starts its own timeline: the parts are placed by their offsets, never by their decode times.
    expect([first.videoStartSeconds, second.videoStartSeconds]).toEqual([0, 0]);
  });

  it('makes one part a file that starts at 0:00, with its length in mehd', async () => {
    const clip = stitchClip([{ part: first, offsetSeconds: 0 }]);

    const report = inspectMp4(clip.bytes);
    expect(report.errors).toEqual([]);
    expect(report.fragmented).toBe(true);
    expect(report.videoFragments.map((fragment) => fragment.start)).toEqual([0, 2, 4]);
    expect(report.fragmentDurationSeconds).toBe(6);
    expect(clip.durationSeconds).toBe(6);
    const probed = await ffprobe(clip.bytes);
    if (probed) expect(probed.durationSeconds).toBeCloseTo(6, 1);
  });

  it('joins parts into one timeline, renumbering the fragments', () => {
    const clip = stitchClip([
      { part: first, offsetSeconds: 0 },
      { part: second, offsetSeconds: 6 },
    ]);

    const report = inspectMp4(clip.bytes);
    expect(report.errors).toEqual([]);
    expect(report.videoFragments.map((fragment) => fragment.start)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(report.sequenceNumbers).toEqual(report.sequenceNumbers.map((_, index) => index + 1));
    expect(report.videoSeconds).toBe(12);
    expect(report.tracks.find((track) => track.codec.startsWith('avc1'))?.samples).toBe(240);
    expect(clip.durationSeconds).toBe(12);
  });

  it('places parts by their offsets whatever timeline they came on, and keeps a gap a gap', () => {
    // Parts that each start at 0, as a service rebasing every answer would send them.
    const rebasedFirst = parseClipPart(stitchClip([{ part: first, offsetSeconds: 0 }]).bytes);
    const rebasedSecond = parseClipPart(stitchClip([{ part: second, offsetSeconds: 0 }]).bytes);

    const joined = inspectMp4(
      stitchClip([
        { part: rebasedFirst, offsetSeconds: 0 },
        { part: rebasedSecond, offsetSeconds: 6 },
      ]).bytes,
    );
    const gapped = inspectMp4(
      stitchClip([
        { part: first, offsetSeconds: 0 },
        { part: second, offsetSeconds: 20 },
      ]).bytes,
    );

    expect(joined.videoFragments.map((fragment) => fragment.start)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(gapped.videoFragments.map((fragment) => fragment.start)).toEqual([0, 2, 4, 20, 22, 24]);
    expect(gapped.fragmentDurationSeconds).toBe(26);
  });

  it('refuses to join parts whose encoding differs (a stream whose codec settings changed)', () => {
    const changed = second.bytes.slice();
    // The avcC box of the video sample description: change its level, as a new encoder setting would.
    const avcC = Buffer.from(changed).indexOf('avcC');
    changed[avcC + 7] = (changed[avcC + 7]! + 1) & 0xff;

    expect(() =>
      stitchClip([
        { part: first, offsetSeconds: 0 },
        { part: parseClipPart(changed), offsetSeconds: 6 },
      ]),
    ).toThrow(StreamNotPlayableError);
  });

  it('refuses what is not a fragmented MP4 as an upstream error, whatever the bytes', () => {
    const truncated = first.bytes.subarray(0, first.bytes.length - 100);

    expect(() => parseClipPart(new TextEncoder().encode('<html>not a clip</html>'))).toThrow(UpstreamError);
    expect(() => parseClipPart(truncated)).toThrow(UpstreamError);
    expect(() => parseClipPart(new Uint8Array(0))).toThrow(UpstreamError);
    expect(() => stitchClip([])).toThrow(UpstreamError);
  });
});
