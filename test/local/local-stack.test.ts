import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_RESPONSES } from '../../lambda/contract';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import { startLocalStack, type LocalStack } from '../../local/start';
import { call, errorOf, type ApiResponse } from './support/http';
import { OpenApiContract } from './support/openapi';

const DEMO_STREAMS = ['front-door', 'backyard', 'garage', 'no-retention', 'legacy-mjpeg'];
const LIST = '/v1/streams';
const VEND = '/v1/streams/{streamName}/playback-url';
const PARTNER_LIST = '/partner/v1/streams';
const PARTNER_VEND = '/partner/v1/streams/{streamName}/playback-url';

const TIGHT_PARTNER: LocalPartner = {
  apiKeyId: 'tight-partner',
  apiKey: 'tight-partner-key-0000000000000000',
  usagePlan: { rateLimit: 1, burstLimit: 2, quota: { limit: 3, period: 'DAY' } },
};

describe('local stack over HTTP (every route, both auth kinds, every error code)', () => {
  const contract = new OpenApiContract();
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-stack-'));
  let stack: LocalStack;
  let now = Date.now();
  let partnerKey: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const demoPartners = (await import('../../local/partners.json')).default as LocalPartner[];
    stack = await startLocalStack({
      ports: 0,
      stateDir,
      partners: [...demoPartners, TIGHT_PARTNER],
      now: () => now,
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        KVS_CALL_TIMEOUT_MS: '1500',
        KVS_RETRY_BUDGET_MS: '3000',
      },
    });
    partnerKey = demoPartners[0]!.apiKey;
    tokens.alice = stack.mintToken({ sub: 'alice' });
    tokens.bob = stack.mintToken({ sub: 'bob' });
    tokens.sam = stack.mintToken({ sub: 'sam', groups: ['security'] });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const url = (path: string): string => `${stack.apiUrl}${path}`;
  const vendPath = (stream: string, partner = false): string =>
    `${partner ? '/partner' : ''}/v1/streams/${encodeURIComponent(stream)}/playback-url`;

  /** Calls, then checks the answer against openapi.yaml before the test looks at it. */
  const checked = async (
    template: string,
    path: string,
    options: Parameters<typeof call>[1] = {},
  ): Promise<ApiResponse> => {
    const response = await call(url(path), options);
    contract.assertResponse(
      options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      template,
      response,
    );
    return response;
  };

  it('checks in the order the README gives: validator, credentials, body, stream name', async () => {
    const invalidName = vendPath('bad name!');
    const codeOf = async (path: string, options: Parameters<typeof call>[1]): Promise<[number, string]> => {
      const response = await checked(VEND, path, options);
      return [response.status, errorOf(response).code];
    };
    // The request validator (API Gateway) before the credentials (the function).
    expect(await codeOf(invalidName, { body: { protocol: 'FLV' } })).toEqual([400, 'INVALID_REQUEST']);
    // The credentials before the body's media type and the stream name.
    expect(await codeOf(invalidName, { body: 'x', headers: { 'content-type': 'text/plain' } })).toEqual([
      401,
      'UNAUTHENTICATED',
    ]);
    // The body's media type before the stream name.
    expect(
      await codeOf(invalidName, {
        token: tokens.alice!,
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
    ).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    // The stream name before the grants.
    expect(await codeOf(invalidName, { token: tokens.bob!, body: {} })).toEqual([400, 'INVALID_REQUEST']);
  });

  it('passes 1e400 (Infinity once parsed) through the request validator as a JSON number, as API Gateway would, and the function names the field once', async () => {
    for (const [field, literal, issue] of [
      ['expiresInSeconds', '1e400', 'must be an integer from 300 to 43200'],
      ['maxFragments', '1e308', 'must be an integer from 1 to 5000'],
    ] as const) {
      const response = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice!,
        body: `{"${field}":${literal}}`,
      });
      expect(response.status).toBe(400);
      // Details come from the function only: the validator's 400 has none.
      expect((response.body as { error: { details?: unknown } }).error.details).toEqual([{ field, issue }]);
    }
  });

  describe('users (bearer JWT)', () => {
    it('lists the streams of a user grant', async () => {
      const response = await checked(LIST, '/v1/streams', { token: tokens.alice });

      expect(response.status).toBe(200);
      const streams = (response.body as { streams: { stream: string; playbackModes: string[] }[] }).streams;
      expect(streams.map((entry) => entry.stream)).toEqual(['front-door']);
      expect([...streams[0]!.playbackModes].sort()).toEqual(['LIVE', 'LIVE_REPLAY', 'ON_DEMAND']);
    });

    it('expands the prefix grant of a group into every demo stream', async () => {
      const response = await checked(LIST, '/v1/streams', { token: tokens.sam });

      const names = (response.body as { streams: { stream: string }[] }).streams.map((entry) => entry.stream);
      expect(names).toEqual(expect.arrayContaining(DEMO_STREAMS));
    });

    it('vends a LIVE HLS URL, clamped to the grant, that the emulator serves as a playlist', async () => {
      const response = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: { protocol: 'HLS', expiresInSeconds: 43200 },
      });

      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
      const vended = response.body as { url: string; expiresInSeconds: number; stream: string };
      expect(vended).toMatchObject({ stream: 'front-door', protocol: 'HLS', playbackMode: 'LIVE' });
      expect(vended.expiresInSeconds).toBe(3600);
      expect(vended.url.startsWith(stack.kvsEndpoint)).toBe(true);
      const playlist = await fetch(vended.url);
      expect(playlist.status).toBe(200);
      expect(await playlist.text()).toMatch(/^#EXTM3U/);
    });

    it('vends a DASH URL that serves an MPD', async () => {
      const response = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: { protocol: 'DASH' },
      });

      expect(response.status).toBe(200);
      const manifest = await fetch((response.body as { url: string }).url);
      expect(await manifest.text()).toContain('<MPD');
    });

    it('vends an ON_DEMAND window of the archive, with an empty body meaning LIVE HLS', async () => {
      const end = new Date(Date.now() - 5 * 60_000);
      const start = new Date(end.getTime() - 2 * 60_000);
      const onDemand = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: { playbackMode: 'ON_DEMAND', start: start.toISOString(), end: end.toISOString() },
      });
      const defaults = await checked(VEND, vendPath('front-door'), { token: tokens.alice, method: 'POST' });

      expect(onDemand.status).toBe(200);
      const playlist = await (await fetch((onDemand.body as { url: string }).url)).text();
      expect(playlist).toMatch(/^#EXTM3U/);
      expect(defaults.status).toBe(200);
      expect(defaults.body).toMatchObject({ protocol: 'HLS', playbackMode: 'LIVE', expiresInSeconds: 300 });
    });
  });

  describe('partners (API key)', () => {
    it('lists and vends for the demo partner, never longer than 300 s', async () => {
      const list = await checked(PARTNER_LIST, '/partner/v1/streams', { apiKey: partnerKey });
      const vend = await checked(PARTNER_VEND, vendPath('front-door', true), {
        apiKey: partnerKey,
        body: { expiresInSeconds: 3600 },
      });

      expect(list.status).toBe(200);
      expect((list.body as { streams: { stream: string }[] }).streams.map((entry) => entry.stream)).toEqual([
        'front-door',
      ]);
      expect(vend.status).toBe(200);
      expect((vend.body as { expiresInSeconds: number }).expiresInSeconds).toBe(300);
    });

    it("answers 401 from API Gateway (INVALID_API_KEY) without a key or with an unknown one, in the service's shape", async () => {
      const missing = await checked(PARTNER_LIST, '/partner/v1/streams');
      const unknown = await checked(PARTNER_VEND, vendPath('front-door', true), { apiKey: 'nope', body: {} });

      for (const response of [missing, unknown]) {
        expect(response.status).toBe(401);
        expect(errorOf(response)).toMatchObject({
          code: 'UNAUTHENTICATED',
          message: GATEWAY_RESPONSES.INVALID_API_KEY.message,
        });
        expect(response.headers.get('www-authenticate')).toBe('ApiKey header="x-api-key"');
      }
    });

    it('answers 429 from the usage plan: rate first, then the quota', async () => {
      const send = () => checked(PARTNER_LIST, '/partner/v1/streams', { apiKey: TIGHT_PARTNER.apiKey });

      const burst = [await send(), await send()];
      const throttled = await send();
      now += 2_000;
      const third = await send();
      now += 2_000;
      const overQuota = await send();

      expect(burst.map((response) => response.status)).toEqual([200, 200]);
      expect(throttled.status).toBe(429);
      expect(errorOf(throttled)).toMatchObject({
        code: 'RATE_LIMITED',
        message: GATEWAY_RESPONSES.THROTTLED.message,
      });
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(third.status).toBe(200);
      expect(overQuota.status).toBe(429);
      expect(errorOf(overQuota)).toMatchObject({
        code: 'RATE_LIMITED',
        message: GATEWAY_RESPONSES.QUOTA_EXCEEDED.message,
      });
    });
  });

  describe('errors of the contract', () => {
    it('400 INVALID_REQUEST for malformed JSON, unknown fields and broken KVS rules', async () => {
      const malformed = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: '{"protocol":',
      });
      const unknownField = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: { colour: 'red' },
      });
      const liveWithRange = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: { playbackMode: 'LIVE', start: new Date(Date.now() - 60_000).toISOString() },
      });

      for (const response of [malformed, unknownField, liveWithRange]) {
        expect(response.status).toBe(400);
        expect(errorOf(response).code).toBe('INVALID_REQUEST');
      }
    });

    it('401 UNAUTHENTICATED without, with a forged and with an expired token', async () => {
      const expired = stack.mintToken({ sub: 'alice', ttlSeconds: 60, now: Date.now() - 3_600_000 });
      const forged = `${tokens.alice!.slice(0, -4)}AAAA`;
      const responses = [
        await checked(LIST, '/v1/streams'),
        await checked(LIST, '/v1/streams', { token: forged }),
        await checked(VEND, vendPath('front-door'), { token: expired, body: {} }),
      ];

      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(errorOf(response).code).toBe('UNAUTHENTICATED');
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    });

    it('403 FORBIDDEN for a stream, mode or protocol no grant covers, existing or not', async () => {
      const otherUsersStream = await checked(VEND, vendPath('front-door'), { token: tokens.bob, body: {} });
      const unknownStream = await checked(VEND, vendPath('no-such-stream'), { token: tokens.bob, body: {} });
      const partnerMode = await checked(PARTNER_VEND, vendPath('front-door', true), {
        apiKey: partnerKey,
        body: {
          playbackMode: 'ON_DEMAND',
          start: new Date(Date.now() - 600_000).toISOString(),
          end: new Date(Date.now() - 300_000).toISOString(),
        },
      });

      for (const response of [otherUsersStream, unknownStream, partnerMode]) {
        expect(response.status).toBe(403);
        expect(errorOf(response).code).toBe('FORBIDDEN');
      }
      expect(errorOf(otherUsersStream).message).toBe(errorOf(unknownStream).message);
    });

    it('404 STREAM_NOT_FOUND for a granted stream KVS does not have', async () => {
      const response = await checked(VEND, vendPath('does-not-exist'), { token: tokens.sam, body: {} });

      expect(response.status).toBe(404);
      expect(errorOf(response).code).toBe('STREAM_NOT_FOUND');
    });

    it('404 NO_MEDIA for garage LIVE: its producer stopped an hour ago', async () => {
      const response = await checked(VEND, vendPath('garage'), { token: tokens.sam, body: {} });

      expect(response.status).toBe(404);
      expect(errorOf(response).code).toBe('NO_MEDIA');
    });

    it('413 PAYLOAD_TOO_LARGE over 8 KiB, and API Gateway 413 over 10 MB', async () => {
      // A body the request model accepts (JSON whitespace is free), over the function's 8 KiB.
      const overService = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: `{"protocol":"HLS"${' '.repeat(9000)}}`,
      });
      const overGateway = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: 'x'.repeat(10 * 1024 * 1024 + 1),
      });

      expect(overService.status).toBe(413);
      expect(errorOf(overService).code).toBe('PAYLOAD_TOO_LARGE');
      expect(overGateway.status).toBe(413);
      expect(errorOf(overGateway)).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: GATEWAY_RESPONSES.REQUEST_TOO_LARGE.message,
      });
    });

    it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON', async () => {
      const response = await checked(VEND, vendPath('front-door'), {
        token: tokens.alice,
        body: 'protocol=HLS',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

      expect(response.status).toBe(415);
      expect(errorOf(response).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('422 STREAM_NOT_PLAYABLE for an unsupported codec and for a stream without retention', async () => {
      const mjpeg = await checked(VEND, vendPath('legacy-mjpeg'), { token: tokens.sam, body: {} });
      const noRetention = await checked(VEND, vendPath('no-retention'), { token: tokens.sam, body: {} });

      for (const response of [mjpeg, noRetention]) {
        expect(response.status).toBe(422);
        expect(errorOf(response).code).toBe('STREAM_NOT_PLAYABLE');
      }
    });

    describe('upstream failures injected in the emulator', () => {
      afterEach(() => stack.emulator.setFaults({}));
      const vendFrontDoor = () => checked(VEND, vendPath('front-door'), { token: tokens.alice, body: {} });

      it('429 RATE_LIMITED with Retry-After when KVS keeps throttling', async () => {
        stack.emulator.setFaults({ throttleBursts: { GetHLSStreamingSessionURL: 1000 } });

        const response = await vendFrontDoor();

        expect(response.status).toBe(429);
        expect(errorOf(response).code).toBe('RATE_LIMITED');
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      });

      it('503 UPSTREAM_UNAVAILABLE when KVS answers ServiceUnavailable', async () => {
        stack.emulator.setFaults({
          errorRate: { GetHLSStreamingSessionURL: { rate: 1, error: 'ServiceUnavailable' } },
        });

        const response = await vendFrontDoor();

        expect(response.status).toBe(503);
        expect(errorOf(response).code).toBe('UPSTREAM_UNAVAILABLE');
      });

      it('504 UPSTREAM_TIMEOUT when KVS does not answer within the call timeout', async () => {
        stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 5_000 } });

        const response = await vendFrontDoor();

        expect(response.status).toBe(504);
        expect(errorOf(response).code).toBe('UPSTREAM_TIMEOUT');
      });

      it('recovers once the fault is gone', async () => {
        stack.emulator.setFaults({ throttleBursts: { GetHLSStreamingSessionURL: 1 } });

        const response = await vendFrontDoor();

        expect(response.status).toBe(200);
      });
    });

    it('404 NOT_FOUND for a path the API does not have, 405 METHOD_NOT_ALLOWED for a method a route does not take', async () => {
      const unknownPath = await call(url('/v1/cameras'), { token: tokens.alice });
      const wrongMethod = await call(url('/v1/streams'), { token: tokens.alice, method: 'DELETE' });

      expect(unknownPath.status).toBe(404);
      expect(errorOf(unknownPath)).toMatchObject({ code: 'NOT_FOUND', message: 'No such route.' });
      expect(wrongMethod.status).toBe(405);
      expect(errorOf(wrongMethod).code).toBe('METHOD_NOT_ALLOWED');
      expect(wrongMethod.headers.get('allow')).toBe('GET');
      for (const response of [unknownPath, wrongMethod]) {
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(errorOf(response).requestId).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });
});
