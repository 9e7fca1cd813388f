import { METHODS } from 'node:http';
import fc from 'fast-check';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import demoPartners from '../../local/partners.json';
import {
  isErrorShape,
  startGuardedStack,
  type GuardedStack,
  type RawAnswer,
  type RawRequest,
} from '../support/guarded-stack';

/**
 * Property-based fuzzing of the HTTP API through the local API Gateway adapter and the real handler:
 * random methods, paths, headers and bodies from random callers. Whatever comes in, the answer is a 4xx
 * in one of the two error shapes, or a 2xx the caller's grants allow; never a 5xx, never a URL for a
 * stream the caller holds no grant for. Run counts are modest so the suite stays quick; fast-check prints
 * the seed and the shrunk request of any failure.
 */
const DEMO_STREAMS = ['front-door', 'backyard', 'garage', 'no-retention', 'legacy-mjpeg'];
/** What the demo grants (local/grants.json) allow, by who is calling. */
const ALLOWED: Record<string, (stream: string) => boolean> = {
  alice: (stream) => stream === 'front-door',
  bob: (stream) => stream === 'backyard',
  sam: () => true, // group `security`: every stream
  partner: (stream) => stream === 'front-door',
  nobody: () => false,
};
/** Non-API resources of the local adapter that legitimately answer 2xx to a GET. */
const NON_API_PATHS = new Set([
  '/',
  '/index.html',
  '/demo/app.js',
  '/demo/style.css',
  '/vendor/hls.min.js',
  '/vendor/dash.all.min.js',
  '/.well-known/jwks.json',
  '/_local/token',
]);
const PARTNER: LocalPartner = {
  ...(demoPartners as LocalPartner[])[0]!,
  usagePlan: { rateLimit: 10_000, burstLimit: 10_000 },
};

interface Caller {
  name: keyof typeof ALLOWED;
  auth: Pick<RawRequest, 'token' | 'apiKey' | 'headers'>;
}

interface FuzzRequest {
  caller: Caller;
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer | undefined;
}

/** A body that fast-check prints as its size and first bytes, not as a megabyte of numbers. */
function printableBody(bytes: Buffer): Buffer {
  const preview = JSON.stringify(bytes.subarray(0, 80).toString('latin1'));
  return Object.assign(bytes, {
    [fc.toStringMethod]: () => `<${bytes.length} bytes: ${preview}${bytes.length > 80 ? '…' : ''}>`,
  });
}

const printable = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength,
  });
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('fuzzing the HTTP API', () => {
  let env: GuardedStack;
  let callers: fc.Arbitrary<Caller>;

  beforeAll(async () => {
    env = await startGuardedStack({
      partners: [PARTNER],
      env: { POWERTOOLS_METRICS_DISABLED: 'true' },
      // Hundreds of fuzzed requests as fast as the machine sends them may pass the stage throttle's 100 per
      // second; its answer is tested elsewhere (test/local/stage-throttle.test.ts), here every one must
      // reach the function.
      stageThrottle: { rateLimit: 100_000, burstLimit: 100_000 },
    });
    const expired = env.stack.mintToken({ sub: 'alice', ttlSeconds: 1, now: Date.now() - 3_600_000 });
    callers = fc.constantFrom<Caller>(
      { name: 'alice', auth: { token: env.token('alice') } },
      { name: 'bob', auth: { token: env.token('bob') } },
      { name: 'sam', auth: { token: env.token('sam', ['security']) } },
      { name: 'partner', auth: { apiKey: PARTNER.apiKey } },
      { name: 'nobody', auth: {} },
      { name: 'nobody', auth: { token: expired } },
      { name: 'nobody', auth: { token: 'not-a-jwt' } },
      { name: 'nobody', auth: { apiKey: 'not-a-partner-key' } },
      { name: 'nobody', auth: { headers: [['authorization', 'Basic YWxpY2U6cGFzc3dvcmQ=']] } },
      {
        name: 'nobody',
        // Two bearer headers: ambiguous, so refused even though one of them is valid.
        auth: {
          headers: [
            ['authorization', `Bearer ${env.token('sam', ['security'])}`],
            ['Authorization', 'Bearer x.y.z'],
          ],
        },
      },
    );
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.guard.assertNoLeaks();
  });

  const streamNames = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...DEMO_STREAMS, 'no-such-stream', 'FRONT-DOOR') },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,300}$/) },
    { weight: 2, arbitrary: anyText.map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%2e%2e', '..%2Fbackyard', '%', '%zz', '%00', 'a%2Fb', '%C0%AF', '%ff'),
    },
  );
  const paths = fc.oneof(
    { weight: 4, arbitrary: streamNames.map((name) => `/v1/streams/${name}/playback-url`) },
    { weight: 3, arbitrary: streamNames.map((name) => `/partner/v1/streams/${name}/playback-url`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('/v1/streams', '/partner/v1/streams', '/v1/streams/', '/V1/STREAMS'),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/), anyText.map(encodeURIComponent)), {
          maxLength: 6,
        })
        .map((segments) => `/${segments.join('/')}`),
    },
  );
  const queries = fc.option(
    fc
      .dictionary(fc.stringMatching(/^[a-z]{1,8}$/), anyText, { maxKeys: 3 })
      .map((params) => `?${new URLSearchParams(params).toString()}`),
    { nil: '' },
  );
  const methods = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('GET', 'POST') },
    { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
    // Every method node's parser knows, as API Gateway would receive them (CONNECT opens a tunnel instead).
    { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((method) => method !== 'CONNECT')) },
  );
  const contentTypes = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
  );
  const playbackFields = fc.record(
    {
      protocol: fc.oneof(fc.constantFrom('HLS', 'DASH', 'hls', 'RTSP'), fc.anything()),
      playbackMode: fc.oneof(fc.constantFrom('LIVE', 'LIVE_REPLAY', 'ON_DEMAND', 'live'), fc.anything()),
      timestampSource: fc.constantFrom('SERVER', 'PRODUCER', 'BOTH'),
      start: fc.oneof(
        fc
          .date({
            min: new Date(Date.now() - 3 * 86_400_000),
            max: new Date(Date.now() + 86_400_000),
            noInvalidDate: true,
          })
          .map((date) => date.toISOString()),
        anyText,
      ),
      end: fc
        .date({ min: new Date(Date.now() - 3 * 86_400_000), max: new Date(), noInvalidDate: true })
        .map((date) => date.toISOString()),
      containerFormat: fc.constantFrom('FRAGMENTED_MP4', 'MPEG_TS', 'MKV'),
      discontinuityMode: fc.constantFrom('ALWAYS', 'NEVER', 'ON_DISCONTINUITY'),
      displayFragmentTimestamp: fc.oneof(fc.boolean(), fc.constantFrom('true', 1)),
      displayFragmentNumber: fc.boolean(),
      maxFragments: fc.oneof(fc.integer({ min: -10, max: 6000 }), fc.double()),
      expiresInSeconds: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(300.5, '300', null)),
      [`__proto__`]: fc.constant({ admin: true }),
    },
    { requiredKeys: [] },
  );
  /** Bodies a player would send: mostly valid, so the grants, not the validation, decide. */
  const validFields = fc.record(
    {
      protocol: fc.constantFrom('HLS', 'DASH'),
      playbackMode: fc.constant('LIVE'),
      maxFragments: fc.integer({ min: 1, max: 5000 }),
      expiresInSeconds: fc.integer({ min: 300, max: 43_200 }),
      displayFragmentTimestamp: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: playbackFields.map((fields) => JSON.stringify(fields)) },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 5000 })
        .map((depth) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 8_000, max: 9_000 })
        .map((size) => JSON.stringify({ protocol: 'x'.repeat(size) })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        '{"protocol":"HLS","protocol":"DASH","expiresInSeconds":300,"expiresInSeconds":43200}',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(1_048_576, 11 * 1_048_576).map((size) => Buffer.alloc(size, 0x7b)),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])) },
    { weight: 1, arbitrary: anyText },
  );
  const extraHeaders = fc.array(
    fc.oneof(
      contentTypes.map((value): [string, string] => ['content-type', value]),
      printable(60).map((value): [string, string] => ['origin', value]),
      printable(40).map((value): [string, string] => ['x-api-key', value]),
      fc.tuple(headerName, printable(80)),
    ),
    { maxLength: 4 },
  );

  const requests = (): fc.Arbitrary<FuzzRequest> =>
    fc.record({
      caller: callers,
      method: methods,
      path: fc.tuple(paths, queries).map(([path, query]) => `${path}${query}`),
      headers: extraHeaders,
      body: bodies.map((body) =>
        body === undefined ? undefined : printableBody(Buffer.isBuffer(body) ? body : Buffer.from(body)),
      ),
    });

  const send = (request: FuzzRequest): Promise<RawAnswer> => {
    const headers = [...(request.caller.auth.headers ?? []), ...request.headers];
    if (request.body !== undefined && !headers.some(([name]) => name === 'content-type')) {
      headers.push(['content-type', 'application/json']);
    }
    return env.send({
      method: request.method,
      path: request.path,
      headers,
      ...(request.caller.auth.token !== undefined ? { token: request.caller.auth.token } : {}),
      ...(request.caller.auth.apiKey !== undefined ? { apiKey: request.caller.auth.apiKey } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
  };

  /** The property every answer must satisfy. */
  const checkAnswer = (request: FuzzRequest, answer: RawAnswer): void => {
    const pathname = new URL(`http://fuzz.invalid${request.path}`).pathname;
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(500);
    if (answer.status >= 400) {
      if (request.method !== 'HEAD') expect(isErrorShape(answer.json)).toBe(true);
      expect(answer.text).not.toMatch(/SessionToken/);
      return;
    }
    if (NON_API_PATHS.has(pathname) && (request.method === 'GET' || request.method === 'HEAD')) return;
    if (request.method === 'OPTIONS') {
      expect(answer.status).toBe(204);
      return;
    }
    const allowed = ALLOWED[request.caller.name]!;
    const vend = /^(?:\/partner)?\/v1\/streams\/([^/]+)\/playback-url$/.exec(pathname);
    if (vend) {
      const body = answer.json as { url: string; stream: string };
      expect(request.method).toBe('POST');
      expect(body.stream).toBe(decodeURIComponent(vend[1]!));
      expect(allowed(body.stream)).toBe(true);
      expect(body.url).toContain('SessionToken=');
      return;
    }
    expect(request.method === 'GET' || request.method === 'HEAD').toBe(true);
    if (request.method === 'HEAD') return;
    const streams = (answer.json as { streams: { stream: string }[] }).streams;
    for (const entry of streams) expect(allowed(entry.stream)).toBe(true);
  };

  it('answers any request with a 4xx error shape or an allowed 2xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(requests(), async (request) => {
        checkAnswer(request, await send(request));
      }),
      { numRuns: 160 },
    );
  });

  it('answers playback bodies on the vend routes of demo streams only as the grants allow', async () => {
    const vends = fc.record({
      caller: callers,
      method: fc.constant('POST'),
      path: fc
        .tuple(fc.boolean(), fc.constantFrom(...DEMO_STREAMS))
        .map(([partner, stream]) => `${partner ? '/partner' : ''}/v1/streams/${stream}/playback-url`),
      headers: fc.constant<[string, string][]>([['content-type', 'application/json']]),
      body: fc
        .oneof({ weight: 3, arbitrary: validFields }, { weight: 1, arbitrary: playbackFields })
        .map((fields) => Buffer.from(JSON.stringify(fields))),
    });
    let succeeded = 0;

    await fc.assert(
      fc.asyncProperty(vends, async (request) => {
        const answer = await send(request);
        checkAnswer(request, answer);
        if (answer.status === 200) succeeded += 1;
      }),
      { numRuns: 100 },
    );

    // Not only refusals: some random bodies were valid and were vended.
    expect(succeeded).toBeGreaterThan(0);
  });

  it('answers paths that start with // as unknown resources, not as a 502 nor as another host', async () => {
    const token = env.token('sam', ['security']);

    const empty = await env.send({ path: '//', token });
    const hostLike = await env.send({ path: '//evil.test/v1/streams', token });

    for (const answer of [empty, hostLike]) {
      expect(answer.status).toBe(404);
      expect((answer.json as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it.each([
    // Valid JSON for the request model (API Gateway's validator lets it through), too large for the function.
    ['a 1 MB body', Buffer.from(`{"protocol":"HLS"${' '.repeat(1_048_576)}}`), 413],
    // Not JSON: API Gateway's request validator refuses it before the function.
    ['a 1 MB body of spaces', Buffer.alloc(1_048_576, 0x20), 400],
    ['a body past the gateway limit', Buffer.alloc(10 * 1_048_576 + 1, 0x20), 413],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x70, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 400],
    ['duplicate keys', Buffer.from('{"protocol":"HLS","protocol":"SMIL"}'), 400],
    ['deep nesting', Buffer.from(`{"protocol":${'['.repeat(3000)}${']'.repeat(3000)}}`), 400],
    ['a JSON array', Buffer.from('[{"protocol":"HLS"}]'), 400],
    ['a prototype key', Buffer.from('{"__proto__":{"expiresInSeconds":43200}}'), 400],
  ])('refuses %s on a vend route with the error shape', async (_, body, status) => {
    const request: FuzzRequest = {
      caller: { name: 'alice', auth: { token: env.token('alice') } },
      method: 'POST',
      path: '/v1/streams/front-door/playback-url',
      headers: [['content-type', 'application/json']],
      body,
    };

    const answer = await send(request);

    expect(answer.status).toBe(status);
    checkAnswer(request, answer);
  });
});
