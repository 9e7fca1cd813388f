import {
  createManualClock,
  startKvsEmulator,
  type ManualClock,
  type RunningEmulator,
} from '@kvs-url-vending/kvs-emulator';
import { createKvsMediaAdapter } from '../../lambda/adapters/kvs/media-adapter';
import {
  DomainError,
  InvalidRequestError,
  NoMediaError,
  RateLimitedError,
  StreamNotFoundError,
  StreamNotPlayableError,
} from '../../lambda/core/errors';
import { makeClip } from '../../lambda/core/media/make-clip';
import type { ArchiveRange, KvsMediaPort } from '../../lambda/core/media/ports';
import { ffprobe, inspectMp4 } from '../support/mp4';

const MINUTE_MS = 60_000;
const START = Date.UTC(2026, 10, 25, 12, 0, 0);

async function caught(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/**
 * The media adapter with the real SDK clients against the KVS emulator over HTTP, on one manual clock:
 * ListFragments and GetImages paging, GetClip's 200-fragment cut-off (lowered to 3 fragments here) met
 * by asking again, and the service's errors as the domain's.
 */
describe('KVS media adapter against the KVS emulator', () => {
  let clock: ManualClock;
  let emulator: RunningEmulator;
  let kvs: KvsMediaPort;

  const range = (startMs: number, endMs: number, overrides: Partial<ArchiveRange> = {}): ArchiveRange => ({
    streamName: 'front-door',
    timestampSource: 'PRODUCER',
    start: startMs,
    end: endMs,
    ...overrides,
  });
  const deadline = (): number => clock.now() + 20_000;

  beforeAll(async () => {
    clock = createManualClock(START);
    emulator = await startKvsEmulator({
      port: 0,
      clock: clock.now,
      limits: { clipMaxFragments: 3 },
      quotas: { mediaApiPerStream: 1000, getImagesPerStream: 1000 },
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'retried', retentionHours: 24, media: 'fixture', duplicateEvery: 3 },
        { name: 'no-retention', retentionHours: 0, media: 'fixture' },
        { name: 'mjpeg', retentionHours: 24, media: 'fixture', codecId: 'V_MJPEG' },
        {
          name: 'own-footage',
          retentionHours: 24,
          media: { source: 'packages/kvs-emulator/fixtures/user-sample.mp4' },
        },
      ],
    });
    kvs = createKvsMediaAdapter({
      region: emulator.region,
      endpoint: emulator.endpoint,
      credentials: emulator.credentials,
      callTimeoutMs: 5_000,
      endpointCacheTtlMs: 1_500_000,
      endpointCacheMaxEntries: 100,
      clock,
      sleep: (ms) => {
        clock.advance(Math.ceil(ms));
        return Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(() => {
    emulator.setFaults({});
  });

  it('lists every fragment of a range, across pages of 1000', async () => {
    const start = START - 60 * MINUTE_MS;

    const fragments = await kvs.listFragments(range(start, start + 40 * MINUTE_MS - 1), deadline());

    // Two-second fragments: 1200 in 40 minutes, more than one page holds.
    expect(fragments).toHaveLength(1200);
    expect(new Set(fragments.map((fragment) => fragment.producerTimestamp)).size).toBe(1200);
    expect(fragments.every((fragment) => fragment.durationMs === 2000 && fragment.bytes > 0)).toBe(true);
  });

  it("answers GetClip's MP4, cut at the emulator's limit of 3 fragments", async () => {
    const start = START - 30 * MINUTE_MS;

    const clip = inspectMp4(await kvs.getClip(range(start, start + 60_000), deadline()));

    expect(clip.errors).toEqual([]);
    expect(clip.videoFragments).toHaveLength(3);
  });

  it('makes one playable clip of a range GetClip answers in several parts, the whole range and nothing twice', async () => {
    const start = START - 30 * MINUTE_MS;
    emulator.resetCounters();

    const clip = await makeClip(kvs, range(start, start + 29_999), {
      clock,
      deadline: deadline(),
      maxBytes: 100 * 1024 * 1024,
    });

    const report = inspectMp4(clip.bytes);
    expect(report.errors).toEqual([]);
    // Fragments starting within [start, start + 29.999 s]: 15 of 2 s, asked for in 5 GetClip calls of 3.
    expect(clip.parts).toBe(5);
    expect(emulator.counters()).toMatchObject({ ListFragments: 1, GetClip: 5 });
    expect(report.videoFragments.map((fragment) => fragment.start)).toEqual(
      Array.from({ length: 15 }, (_, index) => index * 2),
    );
    expect(report.sequenceNumbers).toEqual(report.sequenceNumbers.map((_, index) => index + 1));
    expect(report.videoSeconds).toBe(30);
    expect(report.fragmentDurationSeconds).toBe(30);
    expect(report.tracks.map((track) => track.codec)).toEqual([
      expect.stringMatching(/^avc1\./),
      expect.stringMatching(/^mp4a\./),
    ]);
    expect(clip.start).toBe(start);
    expect(clip.end).toBe(start + 30_000);
    const probed = await ffprobe(clip.bytes);
    if (probed) {
      expect(probed.videoCodec).toBe('h264');
      expect(probed.durationSeconds).toBeCloseTo(30, 1);
      // 20 frames per second, every one decoded.
      expect(probed.videoFrames).toBe(600);
    }
  });

  it('clips by server timestamps as well', async () => {
    const start = START - 20 * MINUTE_MS;

    const clip = await makeClip(kvs, range(start, start + 10_000, { timestampSource: 'SERVER' }), {
      clock,
      deadline: deadline(),
      maxBytes: 100 * 1024 * 1024,
    });

    const report = inspectMp4(clip.bytes);
    expect(report.errors).toEqual([]);
    expect(report.videoSeconds).toBeGreaterThanOrEqual(8);
    expect(report.videoSeconds).toBeLessThanOrEqual(12);
    expect(clip.start).toBeGreaterThanOrEqual(start);
  });

  it('holds a fragment its producer sent twice once', async () => {
    const start = START - 30 * MINUTE_MS;

    const clip = await makeClip(kvs, range(start, start + 19_999, { streamName: 'retried' }), {
      clock,
      deadline: deadline(),
      maxBytes: 100 * 1024 * 1024,
    });

    const report = inspectMp4(clip.bytes);
    expect(report.videoFragments).toHaveLength(10);
    expect(report.videoSeconds).toBe(20);
  });

  it('refuses a range holding more media than one clip may, before any GetClip', async () => {
    const start = START - 30 * MINUTE_MS;
    emulator.resetCounters();

    const error = await caught(
      makeClip(kvs, range(start, start + 60_000), { clock, deadline: deadline(), maxBytes: 500_000 }),
    );

    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(/more than 0 MB of media/);
    expect(emulator.counters().GetClip ?? 0).toBe(0);
  });

  it('answers NO_MEDIA for a range without fragments, STREAM_NOT_FOUND for no stream, 400 outside the retention', async () => {
    const beforeStart = START - 25 * 60 * MINUTE_MS;

    expect(
      await caught(
        makeClip(kvs, range(START - 60_000, START - 50_000, { streamName: 'missing' }), {
          clock,
          deadline: deadline(),
          maxBytes: 1e8,
        }),
      ),
    ).toBeInstanceOf(StreamNotFoundError);
    expect(await caught(kvs.getClip(range(beforeStart, beforeStart + 10_000), deadline()))).toBeInstanceOf(
      InvalidRequestError,
    );
    expect(
      await caught(
        makeClip(kvs, range(START + 60_000, START + 70_000), { clock, deadline: deadline(), maxBytes: 1e8 }),
      ),
    ).toBeInstanceOf(NoMediaError);
  });

  it('answers STREAM_NOT_PLAYABLE for a stream without data retention, as playback does, and names MP4 clips for an unsupported codec', async () => {
    const start = START - 30 * MINUTE_MS;
    const options = { clock, deadline: deadline(), maxBytes: 1e8 };

    const noRetention = await caught(
      makeClip(kvs, range(start, start + 10_000, { streamName: 'no-retention' }), options),
    );
    const mjpeg = await caught(makeClip(kvs, range(start, start + 10_000, { streamName: 'mjpeg' }), options));

    expect(noRetention).toBeInstanceOf(StreamNotPlayableError);
    expect(noRetention.message).toMatch(/does not retain data/);
    expect(mjpeg).toBeInstanceOf(StreamNotPlayableError);
    expect(mjpeg.message).toMatch(/cannot be made into an MP4 clip/);
    expect(mjpeg.message).not.toMatch(/HLS|DASH/);
  });

  it('retries throttling within the deadline, then answers 429', async () => {
    const start = START - 30 * MINUTE_MS;
    emulator.setFaults({ throttleBursts: { GetClip: 2 } });

    const bytes = await kvs.getClip(range(start, start + 4_000), deadline());
    expect(inspectMp4(bytes).videoFragments.length).toBeGreaterThan(0);

    emulator.setFaults({ throttleBursts: { GetClip: 10_000 } });
    const error = await caught(kvs.getClip(range(start, start + 4_000), clock.now() + 2_000));
    expect(error).toBeInstanceOf(RateLimitedError);
  });

  it('answers images page after page, with the per-image errors of the service', async () => {
    const start = START - 10 * MINUTE_MS;

    const images = await kvs.getImages(
      {
        streamName: 'front-door',
        timestampSource: 'PRODUCER',
        start,
        end: start + 59_000,
        intervalMs: 1000,
        format: 'JPEG',
        width: 160,
        height: 90,
        maxResults: 60,
      },
      deadline(),
    );
    const own = await kvs.getImages(
      {
        streamName: 'own-footage',
        timestampSource: 'PRODUCER',
        start,
        end: start + 4_000,
        intervalMs: 2000,
        format: 'PNG',
        maxResults: 3,
      },
      deadline(),
    );

    // 60 images, more than the 25 of one page.
    expect(images).toHaveLength(60);
    expect(images.every((image) => image.content !== undefined && image.error === undefined)).toBe(true);
    expect(Buffer.from(images[0]!.content!, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // A stream of the user's own MP4 has no pictures in the emulator: MEDIA_ERROR per image, not a failure.
    expect(own.map((image) => image.error)).toEqual(['MEDIA_ERROR', 'MEDIA_ERROR', 'MEDIA_ERROR']);
  });
});
