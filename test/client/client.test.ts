import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import { startLocalStack, type LocalStack } from '../../local/start';
import { createClient } from '../../packages/client/src/client';
import { ApiError } from '../../packages/client/src/errors';

const TIGHT_PARTNER: LocalPartner = {
  apiKeyId: 'tight-client-partner',
  apiKey: 'tight-client-partner-key-000000000',
  usagePlan: { rateLimit: 1, burstLimit: 1, quota: { limit: 1000, period: 'DAY' } },
};

describe('createClient against the local stack', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-client-'));
  let stack: LocalStack;
  let demoPartnerKey: string;

  beforeAll(async () => {
    const demoPartners = (await import('../../local/partners.json')).default as LocalPartner[];
    demoPartnerKey = demoPartners[0]!.apiKey;
    stack = await startLocalStack({
      ports: 0,
      stateDir,
      partners: [...demoPartners, TIGHT_PARTNER],
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const userClient = (sub: string, groups: string[] = []) =>
    createClient({ baseUrl: `${stack.apiUrl}/`, getToken: () => stack.mintToken({ sub, groups }) });

  it('lists the streams of a user and vends a URL that KVS (the emulator) serves', async () => {
    const client = userClient('alice');

    const list = await client.listStreams();
    const vended = await client.createPlaybackUrl('front-door', { protocol: 'DASH', expiresInSeconds: 300 });
    const manifest = await fetch(vended.url);

    expect(list.streams.map((entry) => entry.stream)).toEqual(['front-door']);
    expect(vended).toMatchObject({
      protocol: 'DASH',
      playbackMode: 'LIVE',
      stream: 'front-door',
      expiresInSeconds: 300,
    });
    expect(manifest.status).toBe(200);
  });

  it('answers refusals as ApiError with code, status and requestId, and no URL or token in the message', async () => {
    const bob = userClient('bob');
    const sam = userClient('sam', ['security']);

    const forbidden = await bob.createPlaybackUrl('front-door').catch((error: unknown) => error);
    const noMedia = await sam.createPlaybackUrl('garage').catch((error: unknown) => error);
    const notPlayable = await sam.createPlaybackUrl('legacy-mjpeg').catch((error: unknown) => error);

    expect(forbidden).toBeInstanceOf(ApiError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', status: 403, retryable: false });
    expect((forbidden as ApiError).requestId).toMatch(/\S/);
    expect(noMedia).toMatchObject({ code: 'NO_MEDIA', status: 404 });
    expect(notPlayable).toMatchObject({ code: 'STREAM_NOT_PLAYABLE', status: 422 });
    for (const error of [forbidden, noMedia, notPlayable]) {
      expect((error as Error).message).not.toMatch(/https?:|Bearer|eyJ/);
    }
  });

  it('asks for a fresh token once when the API says 401, and then succeeds', async () => {
    const asked: boolean[] = [];
    const client = createClient({
      baseUrl: stack.apiUrl,
      getToken: ({ forceRefresh }) => {
        asked.push(forceRefresh);
        return forceRefresh ? stack.mintToken({ sub: 'alice', groups: [] }) : 'expired.token.value';
      },
    });

    const list = await client.listStreams();

    expect(asked).toEqual([false, true]);
    expect(list.streams).toHaveLength(1);
  });

  it('makes a clip URL whose download is an MP4, and thumbnails, for a grant with CLIP and IMAGES', async () => {
    const client = userClient('alice');
    const start = Math.floor((Date.now() - 600_000) / 10_000) * 10_000;
    const window = { start: new Date(start).toISOString(), end: new Date(start + 9_999).toISOString() };

    const list = await client.listStreams();
    const clip = await client.createClipUrl('front-door', window);
    const download = await fetch(clip.url);
    const bytes = new Uint8Array(await download.arrayBuffer());
    const images = await client.createImages('front-door', {
      ...window,
      intervalSeconds: 5,
      width: 160,
      height: 90,
    });

    expect(list.streams[0]!.capabilities).toEqual(['PLAY', 'CLIP', 'IMAGES']);
    expect(clip).toMatchObject({ stream: 'front-door', contentType: 'video/mp4', bytes: bytes.byteLength });
    expect(download.status).toBe(200);
    expect(Buffer.from(bytes.subarray(4, 8)).toString('latin1')).toBe('ftyp');
    expect(images.images).toHaveLength(2);
    // KVS may report one timestamp of a window as an error of its own (the service says so per image); the
    // images it made are JPEGs, inline at this size.
    const made = images.images.filter((image) => image.data !== undefined);
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const image of made) {
      expect([...Buffer.from(image.data!, 'base64').subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    }
  });

  it('answers a clip outside the grant or over the longest clip as ApiError, naming the maximum', async () => {
    const start = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000;
    const long = { start: new Date(start).toISOString(), end: new Date(start + 400_000).toISOString() };
    const short = { start: long.start, end: new Date(start + 5_000).toISOString() };

    const tooLong = await userClient('alice')
      .createClipUrl('front-door', long)
      .catch((error: unknown) => error);
    const bob = await userClient('bob')
      .createClipUrl('backyard', short)
      .catch((error: unknown) => error);
    const partner = await createClient({ baseUrl: stack.apiUrl, apiKey: demoPartnerKey })
      .createImages('front-door', { ...short, intervalSeconds: 1 })
      .catch((error: unknown) => error);

    expect(tooLong).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    expect((tooLong as ApiError).message).toContain('300 seconds');
    expect(bob).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(partner).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('uses the partner routes with an API key, and maps API Gateway answers to codes', async () => {
    const partner = createClient({ baseUrl: stack.apiUrl, apiKey: demoPartnerKey });
    const unknownKey = createClient({ baseUrl: stack.apiUrl, apiKey: 'no-such-key-00000000000000000000' });
    const tight = createClient({ baseUrl: stack.apiUrl, apiKey: TIGHT_PARTNER.apiKey });

    const vended = await partner.createPlaybackUrl('front-door', { protocol: 'HLS' });
    const refused = await unknownKey.listStreams().catch((error: unknown) => error);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => tight.listStreams()));
    const throttled = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;

    expect(vended.expiresInSeconds).toBe(300);
    // API Gateway's INVALID_API_KEY, customised into the service's shape (lambda/contract/edge-answers.ts).
    expect(refused).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      requestId: expect.any(String) as unknown,
    });
    expect(throttled.reason).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryable: true });
  });
});

describe('createClient: shapes no local answer produces', () => {
  const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    jest.fn<Promise<Response>, Parameters<typeof fetch>>(() =>
      Promise.resolve(new Response(JSON.stringify(body), { status, headers })),
    );

  it('reads Retry-After (seconds and HTTP date) into retryAfterSeconds', async () => {
    const seconds = respond(
      429,
      { error: { code: 'RATE_LIMITED', message: 'slow down', requestId: 'r1' } },
      { 'retry-after': '7' },
    );
    const date = respond(
      503,
      { error: { code: 'UPSTREAM_UNAVAILABLE', message: 'down', requestId: 'r2' } },
      {
        'retry-after': new Date(Date.now() + 30_000).toUTCString(),
      },
    );

    const first = await createClient({ baseUrl: 'https://api.example', getToken: () => 't', fetch: seconds })
      .listStreams()
      .catch((error: unknown) => error);
    const second = await createClient({ baseUrl: 'https://api.example', getToken: () => 't', fetch: date })
      .listStreams()
      .catch((error: unknown) => error);

    expect(first).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 7, requestId: 'r1' });
    expect((second as ApiError).retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect((second as ApiError).retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it('reads Retry-After-Ms into retryAfterMs only beside a Retry-After it does not exceed', async () => {
    const limited = async (headers: Record<string, string>): Promise<ApiError> => {
      const outcome: unknown = await createClient({
        baseUrl: 'https://api.example',
        getToken: () => 't',
        fetch: respond(
          429,
          { error: { code: 'RATE_LIMITED', message: 'slow down', requestId: 'r1' } },
          headers,
        ),
      })
        .createPlaybackUrl('front-door')
        .catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(ApiError);
      return outcome as ApiError;
    };

    expect(await limited({ 'retry-after': '2', 'retry-after-ms': '1250' })).toMatchObject({
      retryAfterSeconds: 2,
      retryAfterMs: 1250,
    });
    // Longer than Retry-After, not a whole number, or alone: not the service's, ignored.
    expect((await limited({ 'retry-after': '1', 'retry-after-ms': '5000' })).retryAfterMs).toBeUndefined();
    expect((await limited({ 'retry-after': '2', 'retry-after-ms': '1.5e3' })).retryAfterMs).toBeUndefined();
    expect((await limited({ 'retry-after-ms': '1250' })).retryAfterMs).toBeUndefined();
  });

  it('turns a network failure into NETWORK_ERROR without repeating what the platform said', async () => {
    const failing = jest.fn(() =>
      Promise.reject(new TypeError('fetch failed: https://api.example/v1/streams?SessionToken=abc')),
    );

    const error = await createClient({ baseUrl: 'https://api.example', getToken: () => 't', fetch: failing })
      .createPlaybackUrl('front-door')
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0, retryable: true });
    expect((error as Error).message).not.toContain('SessionToken');
  });

  it('encodes the stream name into the path and sends the request as JSON', async () => {
    const fetchSpy = respond(200, {
      url: 'u',
      protocol: 'HLS',
      stream: 'a b',
      playbackMode: 'LIVE',
      expiresAt: 'x',
      expiresInSeconds: 300,
    });

    await createClient({
      baseUrl: 'https://api.example/prod/',
      getToken: () => 'tok',
      fetch: fetchSpy,
    }).createPlaybackUrl('a/b', { protocol: 'HLS' });

    const [url, init] = fetchSpy.mock.calls[0]!;
    expect(url).toBe('https://api.example/prod/v1/streams/a%2Fb/playback-url');
    expect(init).toMatchObject({ method: 'POST', body: '{"protocol":"HLS"}' });
    expect((init!.headers as Record<string, string>).authorization).toBe('Bearer tok');
  });

  it('refuses an API key where a page could read it, and a client with both or neither credential', () => {
    const withDocument = globalThis as { document?: unknown };
    withDocument.document = {};
    try {
      expect(() => createClient({ baseUrl: 'https://api.example', apiKey: 'k' })).toThrow(
        /partner server only/,
      );
    } finally {
      delete withDocument.document;
    }
    const inWorker = globalThis as { WorkerGlobalScope?: unknown };
    inWorker.WorkerGlobalScope = function WorkerGlobalScope() {};
    try {
      expect(() => createClient({ baseUrl: 'https://api.example', apiKey: 'k' })).toThrow(
        /partner server only/,
      );
    } finally {
      delete inWorker.WorkerGlobalScope;
    }
    // On a server (here: Node.js) the key is accepted.
    expect(typeof createClient({ baseUrl: 'https://api.example', apiKey: 'k' }).listStreams).toBe('function');
    expect(() => createClient({ baseUrl: 'x' } as never)).toThrow(/exactly one/);
    expect(() => createClient({ baseUrl: 'x', apiKey: 'k', getToken: () => 't' } as never)).toThrow(
      /exactly one/,
    );
  });
});
