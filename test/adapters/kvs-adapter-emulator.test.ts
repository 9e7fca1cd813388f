import {
  createManualClock,
  startKvsEmulator,
  type ManualClock,
  type RunningEmulator,
} from '@kvs-url-vending/kvs-emulator';
import {
  DomainError,
  InvalidRequestError,
  NoMediaError,
  StreamNotFoundError,
  StreamNotPlayableError,
  UpstreamError,
  UpstreamUnavailableError,
} from '../../lambda/core/errors';
import type { SessionUrlRequest } from '../../lambda/core/model';
import { createKvsAdapter, type KvsAdapterOptions } from '../../lambda/adapters/kvs/kvs-adapter';

const live = (overrides: Partial<SessionUrlRequest> = {}): SessionUrlRequest => ({
  streamName: 'front-door',
  protocol: 'HLS',
  playbackMode: 'LIVE',
  timestampSource: 'SERVER',
  expiresInSeconds: 300,
  ...overrides,
});

async function caught(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/**
 * The adapter with the real SDK clients against the local KVS emulator over HTTP. Adapter and emulator
 * share one manual clock: quotas, sessions and the adapter's backoff all move on it, never on wall time.
 */
describe('KVS adapter against the KVS emulator', () => {
  let clock: ManualClock;
  let emulator: RunningEmulator;

  const adapter = (overrides: Partial<KvsAdapterOptions> = {}) =>
    createKvsAdapter({
      region: emulator.region,
      endpoint: emulator.endpoint,
      credentials: emulator.credentials,
      callTimeoutMs: 5_000,
      retryBudgetMs: 4_000,
      endpointCacheTtlMs: 1_500_000,
      endpointCacheMaxEntries: 100,
      streamListCacheTtlMs: 30_000,
      clock,
      sleep: (ms) => {
        clock.advance(Math.ceil(ms));
        return Promise.resolve();
      },
      ...overrides,
    });

  beforeAll(async () => {
    clock = createManualClock();
    emulator = await startKvsEmulator({ port: 0, clock: clock.now });
  });
  afterAll(async () => {
    await emulator.stop();
  });
  beforeEach(() => {
    // A fresh quota second per test: the per-stream quotas of one test never spill into the next.
    clock.advance(2_000);
    emulator.resetCounters();
    emulator.setFaults({});
  });

  it('mints an HLS URL whose master playlist plays', async () => {
    const url = await adapter().getSessionUrl(live());
    expect(url.startsWith(`${emulator.endpoint}/`)).toBe(true);
    expect(url).toMatch(/\/hls\/v1\/getHLSMasterPlaylist\.m3u8\?SessionToken=/);
    const playlist = await fetch(url);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toMatch(/^#EXTM3U/);
  });

  it('mints a DASH URL for an archived window whose manifest is a static MPD', async () => {
    const end = clock.now() - 5 * 60_000;
    const url = await adapter().getSessionUrl(
      live({
        protocol: 'DASH',
        playbackMode: 'ON_DEMAND',
        start: end - 5 * 60_000,
        end,
        displayFragmentNumber: true,
      }),
    );
    const manifest = await fetch(url);
    expect(manifest.status).toBe(200);
    const text = await manifest.text();
    expect(text).toContain('<MPD');
    expect(text).toMatch(/type="static"/);
  });

  it('calls GetDataEndpoint once for a stream serving its full 25 vends per second', async () => {
    const kvs = adapter();
    await Promise.all(Array.from({ length: 25 }, () => kvs.getSessionUrl(live())));
    const counters = emulator.counters();
    expect(counters.GetDataEndpoint).toBe(1);
    expect(counters.GetHLSStreamingSessionURL).toBe(25);
    expect(kvs.endpointCacheStats()).toMatchObject({ misses: 1, hits: 24 });
  });

  it('rides out the per-stream session quota by retrying with backoff', async () => {
    const kvs = adapter();
    const urls = await Promise.all(Array.from({ length: 40 }, () => kvs.getSessionUrl(live())));
    expect(new Set(urls).size).toBe(40);
    expect(emulator.counters()['GetHLSStreamingSessionURL:ClientLimitExceededException']).toBeGreaterThan(0);
    expect(emulator.counters().GetDataEndpoint).toBe(1);
  });

  it('keeps working across a data endpoint rotation', async () => {
    const kvs = adapter();
    await kvs.getSessionUrl(live());
    emulator.rotateEndpoints();
    clock.advance(1_000);

    await expect(kvs.getSessionUrl(live())).resolves.toMatch(/SessionToken=/);
    expect(emulator.counters().GetDataEndpoint).toBe(2);
    expect(emulator.counters().RetiredEndpoint).toBe(1);
    expect(kvs.endpointCacheStats().invalidations).toBe(1);
  });

  it('retries a throttling burst on GetDataEndpoint', async () => {
    emulator.setFaults({ throttleBursts: { GetDataEndpoint: 2 } });
    await expect(adapter().getSessionUrl(live({ streamName: 'backyard' }))).resolves.toMatch(/SessionToken=/);
    expect(emulator.counters().GetDataEndpoint).toBe(3);
  });

  it('answers UpstreamUnavailableError when KVS keeps failing', async () => {
    emulator.setFaults({ errorRate: { GetHLSStreamingSessionURL: { rate: 1, error: 'InternalFailure' } } });
    expect(await caught(adapter().getSessionUrl(live()))).toBeInstanceOf(UpstreamUnavailableError);
    expect(emulator.counters().GetHLSStreamingSessionURL).toBe(2);
  });

  it.each([
    ['a stream that does not exist', live({ streamName: 'no-such-stream' }), StreamNotFoundError, undefined],
    [
      'a stream without retention',
      live({ streamName: 'no-retention' }),
      StreamNotPlayableError,
      'NoDataRetention',
    ],
    [
      'an unsupported codec',
      live({ streamName: 'legacy-mjpeg' }),
      StreamNotPlayableError,
      'UnsupportedStreamMediaType',
    ],
    ['LIVE on a stream whose producer stopped', live({ streamName: 'garage' }), NoMediaError, undefined],
  ])('maps %s', async (_name, request, expected, reason) => {
    const error = await caught(adapter().getSessionUrl(request));
    expect(error).toBeInstanceOf(expected);
    if (reason) expect(error.message).toContain(reason);
  });

  it('maps a window outside retention to InvalidRequestError', async () => {
    const start = clock.now() - 3 * 24 * 3600_000;
    const error = await caught(
      adapter().getSessionUrl(live({ playbackMode: 'ON_DEMAND', start, end: start + 60_000 })),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
  });

  it('maps a refusal of our own credentials to UpstreamError', async () => {
    const error = await caught(
      adapter({ credentials: { accessKeyId: 'local', secretAccessKey: 'wrong' } }).getSessionUrl(live()),
    );
    expect(error).toBeInstanceOf(UpstreamError);
  });

  it('lists ACTIVE streams by prefix', async () => {
    const kvs = adapter();
    await expect(kvs.listStreamNames('front')).resolves.toEqual(['front-door']);
    const all = await kvs.listStreamNames('');
    expect([...all].sort()).toEqual(['backyard', 'front-door', 'garage', 'legacy-mjpeg', 'no-retention']);
  });
});
