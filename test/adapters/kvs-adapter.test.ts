import {
  DomainError,
  InvalidRequestError,
  NoMediaError,
  RateLimitedError,
  StreamNotFoundError,
  StreamNotPlayableError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lambda/core/errors';
import type { SessionUrlRequest } from '../../lambda/core/model';
import { createKvsAdapter, type KvsAdapterOptions } from '../../lambda/adapters/kvs/kvs-adapter';
import { KvsPeer, type Fault } from './support/kvs-peer';

class FakeClock {
  current = 1_800_000_000_000;
  now(): number {
    return this.current;
  }
}

const live = (overrides: Partial<SessionUrlRequest> = {}): SessionUrlRequest => ({
  streamName: 'front-door',
  protocol: 'HLS',
  playbackMode: 'LIVE',
  timestampSource: 'SERVER',
  expiresInSeconds: 300,
  ...overrides,
});

const kvsError = (status: number, type: string, message: string): Fault => ({
  kind: 'error',
  status,
  type,
  message,
});

async function caught(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('KVS adapter over HTTP (restJson1 peer)', () => {
  const peer = new KvsPeer();
  let clock: FakeClock;
  let errors: string[];
  let lookups: boolean[];

  /** Backoff waits move the injected clock instead of real time, so budgets are exact. */
  const adapter = (overrides: Partial<KvsAdapterOptions> = {}) =>
    createKvsAdapter({
      region: 'us-east-1',
      endpoint: peer.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      callTimeoutMs: 2_000,
      retryBudgetMs: 4_000,
      endpointCacheTtlMs: 1_500_000,
      endpointCacheMaxEntries: 100,
      streamListCacheTtlMs: 30_000,
      clock,
      sleep: (ms) => {
        clock.current += ms;
        return Promise.resolve();
      },
      onKvsError: (name) => errors.push(name),
      onEndpointCacheLookup: (hit) => lookups.push(hit),
      ...overrides,
    });

  beforeAll(async () => {
    await peer.start();
  });
  afterAll(async () => {
    await peer.stop();
  });
  beforeEach(() => {
    peer.reset();
    clock = new FakeClock();
    errors = [];
    lookups = [];
  });

  describe('session URLs', () => {
    it('mints an HLS URL on the data endpoint, signed for kinesisvideo', async () => {
      const url = await adapter().getSessionUrl(live());
      expect(url).toMatch(
        new RegExp(`^${peer.endpoint}/data-1/hls/v1/getHLSMasterPlaylist\\.m3u8\\?SessionToken=`),
      );
      expect(peer.calls.map((c) => c.path)).toEqual([
        '/getDataEndpoint',
        '/data-1/getHLSStreamingSessionURL',
      ]);
      expect(peer.calls[0]?.body).toEqual({
        StreamName: 'front-door',
        APIName: 'GET_HLS_STREAMING_SESSION_URL',
      });
      for (const call of peer.calls) {
        expect(call.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/kinesisvideo\//,
        );
      }
    });

    it('maps every HLS field of the request to the KVS input', async () => {
      const start = Date.UTC(2026, 10, 25, 10, 0, 0, 500);
      const end = Date.UTC(2026, 10, 25, 11, 0, 0);
      await adapter().getSessionUrl(
        live({
          playbackMode: 'ON_DEMAND',
          timestampSource: 'PRODUCER',
          start,
          end,
          containerFormat: 'MPEG_TS',
          discontinuityMode: 'ON_DISCONTINUITY',
          displayFragmentTimestamp: true,
          maxFragments: 1000,
          expiresInSeconds: 900,
        }),
      );
      expect(peer.calls[1]?.body).toEqual({
        StreamName: 'front-door',
        PlaybackMode: 'ON_DEMAND',
        HLSFragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: start / 1000, EndTimestamp: end / 1000 },
        },
        ContainerFormat: 'MPEG_TS',
        DiscontinuityMode: 'ON_DISCONTINUITY',
        DisplayFragmentTimestamp: 'ALWAYS',
        MaxMediaPlaylistFragmentResults: 1000,
        Expires: 900,
      });
    });

    it('sends LIVE without a timestamp range and leaves unset options to KVS defaults', async () => {
      await adapter().getSessionUrl(live({ displayFragmentTimestamp: false }));
      expect(peer.calls[1]?.body).toEqual({
        StreamName: 'front-door',
        PlaybackMode: 'LIVE',
        HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP' },
        DisplayFragmentTimestamp: 'NEVER',
        Expires: 300,
      });
    });

    it('mints a DASH URL with the DASH fields', async () => {
      const start = Date.UTC(2026, 10, 25, 10, 0, 0);
      const url = await adapter().getSessionUrl(
        live({
          protocol: 'DASH',
          playbackMode: 'LIVE_REPLAY',
          start,
          displayFragmentNumber: false,
          displayFragmentTimestamp: true,
          maxFragments: 5,
        }),
      );
      expect(url).toMatch(/\/dash\/v1\/getDASHManifest\.mpd\?SessionToken=/);
      expect(peer.calls[0]?.body).toEqual({
        StreamName: 'front-door',
        APIName: 'GET_DASH_STREAMING_SESSION_URL',
      });
      expect(peer.calls[1]?.path).toBe('/data-1/getDASHStreamingSessionURL');
      expect(peer.calls[1]?.body).toEqual({
        StreamName: 'front-door',
        PlaybackMode: 'LIVE_REPLAY',
        DASHFragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: start / 1000 },
        },
        DisplayFragmentTimestamp: 'ALWAYS',
        DisplayFragmentNumber: 'NEVER',
        MaxManifestFragmentResults: 5,
        Expires: 300,
      });
    });

    it('calls GetDataEndpoint once per stream and API for many vends, concurrent ones included', async () => {
      const kvs = adapter();
      await Promise.all(Array.from({ length: 20 }, () => kvs.getSessionUrl(live())));
      for (let i = 0; i < 10; i += 1) await kvs.getSessionUrl(live());
      await kvs.getSessionUrl(live({ protocol: 'DASH' }));
      await kvs.getSessionUrl(live({ streamName: 'backyard' }));

      expect(peer.count('getDataEndpoint')).toBe(3);
      expect(peer.count('getHLSStreamingSessionURL')).toBe(31);
      expect(lookups.filter((hit) => !hit)).toHaveLength(3);
      expect(kvs.endpointCacheStats()).toMatchObject({ size: 3, misses: 3, hits: 29, mediaClients: 1 });
    });

    it('asks for a new data endpoint after the TTL', async () => {
      const kvs = adapter({ endpointCacheTtlMs: 60_000 });
      await kvs.getSessionUrl(live());
      clock.current += 60_000;
      await kvs.getSessionUrl(live());
      expect(peer.count('getDataEndpoint')).toBe(2);
    });

    it('survives a data endpoint rotation: drops the endpoint, fetches the new one, succeeds', async () => {
      const kvs = adapter();
      await kvs.getSessionUrl(live());
      peer.rotateDataEndpoint();

      const url = await kvs.getSessionUrl(live());

      expect(url).toContain('/data-2/hls/');
      expect(peer.count('getDataEndpoint')).toBe(2);
      expect(kvs.endpointCacheStats()).toMatchObject({ invalidations: 1, mediaClients: 2 });
      expect(errors).toEqual(['ServiceUnavailableException']);
    });

    it('re-fetches the endpoint once after a dropped connection', async () => {
      peer.fail('getHLSStreamingSessionURL', { kind: 'reset' });
      await expect(adapter().getSessionUrl(live())).resolves.toContain('SessionToken=');
      expect(peer.count('getDataEndpoint')).toBe(2);
      expect(errors).toEqual(['NetworkError']);
    });

    it('retries a throttled call and succeeds within the budget', async () => {
      peer.fail(
        'getHLSStreamingSessionURL',
        kvsError(400, 'ClientLimitExceededException', 'Rate exceeded'),
        kvsError(400, 'ClientLimitExceededException', 'Rate exceeded'),
      );
      await expect(adapter().getSessionUrl(live())).resolves.toContain('SessionToken=');
      expect(peer.count('getHLSStreamingSessionURL')).toBe(3);
      expect(peer.count('getDataEndpoint')).toBe(1);
    });

    it('answers RateLimitedError (retry after 1 s) once throttling outlasts the budget', async () => {
      const throttled = Array.from({ length: 200 }, () =>
        kvsError(400, 'ClientLimitExceededException', 'Rate exceeded'),
      );
      peer.fail('getHLSStreamingSessionURL', ...throttled);
      const error = await caught(adapter({ retryBudgetMs: 4_000 }).getSessionUrl(live()));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterSeconds).toBe(1);
      // Backoff is capped at 1 s, so a 4 s budget always allows several attempts, and never unbounded ones.
      expect(peer.count('getHLSStreamingSessionURL')).toBeGreaterThanOrEqual(4);
      expect(peer.count('getHLSStreamingSessionURL')).toBeLessThan(200);
      expect(clock.current - 1_800_000_000_000).toBeLessThan(4_000);
    });

    it('throttling of GetDataEndpoint is retried too', async () => {
      peer.fail('getDataEndpoint', kvsError(400, 'ClientLimitExceededException', 'Rate exceeded'));
      await expect(adapter().getSessionUrl(live())).resolves.toContain('SessionToken=');
      expect(peer.count('getDataEndpoint')).toBe(2);
    });

    it.each([
      [
        'ResourceNotFoundException',
        404,
        'The requested stream is not found or not active.',
        StreamNotFoundError,
      ],
      [
        'ResourceNotFoundException',
        404,
        'No fragments found in the stream for the streaming request.',
        NoMediaError,
      ],
      [
        'InvalidArgumentException',
        400,
        'StartTimestamp must be before EndTimestamp secret-detail',
        InvalidRequestError,
      ],
      ['NotAuthorizedException', 401, 'User arn:aws:iam::123:role/x is not authorized', UpstreamError],
      ['UnsupportedStreamMediaTypeException', 400, 'codec V_MJPEG', StreamNotPlayableError],
      ['NoDataRetentionException', 400, 'retention is 0', StreamNotPlayableError],
      ['MissingCodecPrivateDataException', 400, 'no cpd', StreamNotPlayableError],
      ['InvalidCodecPrivateDataException', 400, 'bad cpd', StreamNotPlayableError],
      ['InternalFailure', 500, 'internal stack trace', UpstreamUnavailableError],
    ])(
      'maps %s (%i, "%s") to %p without passing on the upstream message',
      async (type, status, message, expected) => {
        peer.fail(
          'getHLSStreamingSessionURL',
          kvsError(status, type, message),
          kvsError(status, type, message),
        );
        const error = await caught(adapter().getSessionUrl(live()));
        expect(error).toBeInstanceOf(expected);
        expect(error.message).not.toContain(message);
        if (expected === StreamNotPlayableError)
          expect(error.message).toContain(type.replace(/Exception$/, ''));
      },
    );

    it('does not retry or re-fetch the endpoint for client errors', async () => {
      peer.fail('getHLSStreamingSessionURL', kvsError(400, 'InvalidArgumentException', 'bad'));
      await caught(adapter().getSessionUrl(live()));
      expect(peer.count('getHLSStreamingSessionURL')).toBe(1);
      expect(peer.count('getDataEndpoint')).toBe(1);
      expect(errors).toEqual(['InvalidArgumentException']);
    });

    it('maps a missing stream at GetDataEndpoint and does not cache the failure', async () => {
      peer.fail(
        'getDataEndpoint',
        kvsError(404, 'ResourceNotFoundException', 'The requested stream is not found or not active.'),
      );
      const kvs = adapter();
      expect(await caught(kvs.getSessionUrl(live()))).toBeInstanceOf(StreamNotFoundError);
      await expect(kvs.getSessionUrl(live())).resolves.toContain('SessionToken=');
      expect(peer.count('getDataEndpoint')).toBe(2);
    });

    it('times out a call that never answers: UpstreamTimeoutError', async () => {
      peer.fail('getHLSStreamingSessionURL', { kind: 'hang' }, { kind: 'hang' });
      const error = await caught(adapter({ callTimeoutMs: 150 }).getSessionUrl(live()));
      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      expect(errors).toEqual(['TimeoutError', 'TimeoutError']);
    });

    it('reports what KVS said, not a timeout, when the budget cuts the last attempt short', async () => {
      const throttled = {
        kind: 'error',
        status: 400,
        type: 'ClientLimitExceededException',
        message: 'slow',
      } as const;
      peer.fail('getHLSStreamingSessionURL', throttled, { kind: 'hang' }, { kind: 'hang' });
      // After the throttle and its backoff (moved on the injected clock) less than one call timeout is
      // left, so the next attempt is cut short by the budget rather than timed out by KVS.
      const error = await caught(
        adapter({ callTimeoutMs: 1_000, retryBudgetMs: 1_000 }).getSessionUrl(live()),
      );
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(errors).toEqual(['ClientLimitExceededException']);
    });

    it('reports KVS unreachable as UpstreamUnavailableError', async () => {
      const down = new KvsPeer();
      await down.start();
      const endpoint = down.endpoint;
      await down.stop();
      const error = await caught(adapter({ endpoint, retryBudgetMs: 500 }).getSessionUrl(live()));
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(errors.every((name) => name === 'NetworkError')).toBe(true);
    });
  });

  describe('listStreamNames', () => {
    beforeEach(() => {
      peer.streams = [
        { name: 'site-a-1', status: 'ACTIVE' },
        { name: 'site-a-2', status: 'CREATING' },
        { name: 'site-a-3', status: 'ACTIVE' },
        { name: 'site-a-4', status: 'DELETING' },
        { name: 'site-a-5', status: 'ACTIVE' },
        { name: 'site-b-1', status: 'ACTIVE' },
      ];
    });

    it('reads every page with BEGINS_WITH and keeps ACTIVE streams only', async () => {
      const names = await adapter().listStreamNames('site-a-');
      expect(names).toEqual(['site-a-1', 'site-a-3', 'site-a-5']);
      expect(peer.count('listStreams')).toBe(3);
      expect(peer.calls[0]?.body).toMatchObject({
        StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'site-a-' },
      });
      expect(peer.calls[1]?.body).toMatchObject({ NextToken: '2' });
    });

    it('lists every stream for an empty prefix, without a name condition', async () => {
      const names = await adapter().listStreamNames('');
      expect(names).toEqual(['site-a-1', 'site-a-3', 'site-a-5', 'site-b-1']);
      expect(peer.calls[0]?.body).not.toHaveProperty('StreamNameCondition');
    });

    it('caches a prefix briefly and shares concurrent lookups', async () => {
      const kvs = adapter({ streamListCacheTtlMs: 30_000 });
      await Promise.all([kvs.listStreamNames('site-b-'), kvs.listStreamNames('site-b-')]);
      clock.current += 29_999;
      await kvs.listStreamNames('site-b-');
      expect(peer.count('listStreams')).toBe(1);
      clock.current += 1;
      peer.streams.push({ name: 'site-b-2', status: 'ACTIVE' });
      await expect(kvs.listStreamNames('site-b-')).resolves.toEqual(['site-b-1', 'site-b-2']);
      expect(peer.count('listStreams')).toBe(2);
    });

    it('maps failures and does not cache them', async () => {
      peer.fail('listStreams', kvsError(401, 'NotAuthorizedException', 'denied'));
      const kvs = adapter();
      expect(await caught(kvs.listStreamNames('site-'))).toBeInstanceOf(UpstreamError);
      await expect(kvs.listStreamNames('site-')).resolves.toHaveLength(4);
    });
  });
});
