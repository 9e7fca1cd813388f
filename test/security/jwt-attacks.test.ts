import { startLeakGuard, type LeakGuard } from '../support/leak-guard';
import {
  startApiHarness,
  TEST_AWS_CREDENTIALS,
  type ApiHarness,
  type HttpAnswer,
} from './support/api-harness';
import { generateIssuerKey, JwksIssuer } from './support/jwks-issuer';

/**
 * JWT attacks end to end: a request over HTTP through the local API Gateway adapter and the real handler,
 * with the issuer's key set served by a server the test controls. The verifier's own unit tests cover the
 * header rules one by one; these prove the HTTP API answers them with a plain 401, never calls the grants
 * store or KVS for them, and never fetches a URL named by a token.
 */
const GRANTS = [
  {
    principal: 'user:alice',
    streams: ['front-door'],
    playbackModes: ['LIVE'],
    protocols: ['HLS', 'DASH'],
    maxExpiresInSeconds: 900,
  },
];
const VEND = '/v1/streams/front-door/playback-url';
const JWKS_PATH = '/.well-known/jwks.json';

function expectUnauthenticated(answer: HttpAnswer): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get('www-authenticate')).toBe(
    'Bearer error="invalid_token", error_description="The access token is invalid"',
  );
  expect(answer.json).toEqual({
    error: {
      code: 'UNAUTHENTICATED',
      message: 'The bearer token is missing, invalid or expired.',
      requestId: expect.any(String) as string,
    },
  });
}

describe('JWT attacks through the HTTP API', () => {
  const issuer = new JwksIssuer();
  const attacker = new JwksIssuer();
  const current = generateIssuerKey('ES256', 'issuer-key-1');
  const next = generateIssuerKey('RS256', 'issuer-key-2');
  const evil = generateIssuerKey('ES256', 'issuer-key-1');
  let skewMs = 0;
  let api: ApiHarness;
  let guard: LeakGuard;

  beforeAll(async () => {
    await Promise.all([issuer.start(), attacker.start()]);
    issuer.now = () => Date.now() + skewMs;
    attacker.published = [evil];
    guard = startLeakGuard();
    guard.secret(TEST_AWS_CREDENTIALS.secretAccessKey, 'AWS secret key');
    guard.secret(TEST_AWS_CREDENTIALS.accessKeyId, 'AWS access key id');
    api = await startApiHarness({
      verifier: {
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUrl: issuer.url,
        jwksRefetchIntervalSeconds: 30,
        jwksMaxAgeSeconds: 600,
        clock: { now: () => Date.now() + skewMs },
      },
      grants: GRANTS,
      guard,
    });
  });
  afterAll(async () => {
    guard.stop();
    await api?.stop();
    await Promise.all([issuer.stop(), attacker.stop()]);
  });
  afterEach(() => {
    guard.assertNoLeaks();
  });

  // The tests run in order on one verifier: its key cache is the state under attack.
  it('vends with a token of the published key (the key set is fetched once, then cached)', async () => {
    issuer.published = [current];

    const vend = await api.call(VEND, { token: issuer.sign(current), body: {} });
    const list = await api.call('/v1/streams', { token: issuer.sign(current) });

    expect(vend.status).toBe(200);
    expect(list.status).toBe(200);
    expect(issuer.requests).toEqual([JWKS_PATH]);
  });

  it.each([
    ['path traversal', '../../../../etc/passwd'],
    ['SQL injection', "' OR '1'='1' --"],
    ['shell metacharacters', 'key-1; rm -rf / #'],
    ['a URL', 'https://attacker.test.invalid/jwks.json'],
    ['a NUL byte', 'issuer-key-1\u0000'],
    ['an oversized kid', 'k'.repeat(5000)],
  ])(
    'refuses a kid carrying %s without calling grants or KVS, and never puts it in a URL',
    async (_, kid) => {
      const lookups = api.grantLookups();
      const kvsCalls = api.emulator.counters();

      const answer = await api.call(VEND, { token: issuer.sign(current, {}, { kid }), body: {} });

      expectUnauthenticated(answer);
      expect(api.grantLookups()).toBe(lookups);
      expect(api.emulator.counters()).toEqual(kvsCalls);
      expect(issuer.requests.every((path) => path === JWKS_PATH)).toBe(true);
    },
  );

  it('ignores jku, x5u and an embedded jwk: the attacker key is never fetched nor trusted', async () => {
    const headers = [
      { jku: attacker.url },
      { x5u: attacker.url },
      { jwk: evil.publicJwk },
      { jku: attacker.url, x5u: attacker.url, jwk: evil.publicJwk },
    ];

    for (const header of headers) {
      expectUnauthenticated(
        await api.call(VEND, { token: attacker.sign(evil, { iss: issuer.issuer }, header), body: {} }),
      );
    }
    expect(attacker.requests).toEqual([]);
  });

  it('refuses crit headers, even naming a registered claim', async () => {
    for (const crit of [['exp'], ['b64'], ['x-unknown-extension']]) {
      expectUnauthenticated(await api.call(VEND, { token: issuer.sign(current, {}, { crit }), body: {} }));
    }
  });

  it('refuses a nested JWT, whether the payload is the inner token or plain claims', async () => {
    const inner = issuer.sign(current);
    const nested = issuer.signRaw(current, { cty: 'JWT' }, inner);
    const labelledOnly = issuer.sign(current, {}, { cty: 'jwt' });

    expectUnauthenticated(await api.call(VEND, { token: nested, body: {} }));
    expectUnauthenticated(await api.call(VEND, { token: labelledOnly, body: {} }));
  });

  it('refuses alg none and an HMAC token keyed with the published public key', async () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      iss: issuer.issuer,
      aud: issuer.audience,
      sub: 'alice',
      exp: Math.floor(issuer.now() / 1000) + 600,
    };
    const none = `${encode({ alg: 'none', kid: current.kid })}.${encode(claims)}.`;
    const { createHmac } = await import('node:crypto');
    const hsInput = `${encode({ alg: 'HS256', kid: current.kid })}.${encode(claims)}`;
    const confused = `${hsInput}.${createHmac('sha256', JSON.stringify(current.publicJwk)).update(hsInput).digest('base64url')}`;

    expectUnauthenticated(await api.call(VEND, { token: none, body: {} }));
    expectUnauthenticated(await api.call(VEND, { token: confused, body: {} }));
  });

  it('rotation: during the overlap tokens of the old and the new key both work', async () => {
    issuer.published = [current, next];
    skewMs += 31_000;

    const withNew = await api.call(VEND, { token: issuer.sign(next), body: {} });
    const withOld = await api.call(VEND, { token: issuer.sign(current), body: {} });

    expect(withNew.status).toBe(200);
    expect(withOld.status).toBe(200);
  });

  it('JWKS down: cached keys keep working, an unknown kid fails closed with 401', async () => {
    issuer.mode = { kind: 'down', status: 503 };
    skewMs += 31_000;
    const stranger = generateIssuerKey('ES256', 'issuer-key-unknown');
    const before = issuer.requests.length;

    const cached = await api.call(VEND, { token: issuer.sign(next), body: {} });
    const unknown = await api.call(VEND, { token: issuer.sign(stranger), body: {} });
    const unknownAgain = await api.call(VEND, { token: issuer.sign(stranger), body: {} });

    expect(cached.status).toBe(200);
    expectUnauthenticated(unknown);
    expectUnauthenticated(unknownAgain);
    // One refetch attempt for the unknown kid, then the refetch interval holds the rest back.
    expect(issuer.requests.length - before).toBe(1);
  });

  it('JWKS hanging: the request still ends (401 for an unknown kid) and cached keys keep working', async () => {
    issuer.mode = { kind: 'hang' };
    skewMs += 31_000;
    const stranger = generateIssuerKey('RS256', 'issuer-key-other');

    const [unknown, cached] = await Promise.all([
      api.call(VEND, { token: issuer.sign(stranger), body: {} }),
      api.call(VEND, { token: issuer.sign(current), body: {} }),
    ]);
    issuer.release();

    expectUnauthenticated(unknown);
    expect(cached.status).toBe(200);
  });

  it('rotation completed: once the old key is withdrawn and the set refreshed, its tokens fail', async () => {
    issuer.mode = { kind: 'up' };
    issuer.published = [next];
    skewMs += 601_000;

    const withNew = await api.call(VEND, { token: issuer.sign(next), body: {} });
    const withOld = await api.call(VEND, { token: issuer.sign(current), body: {} });

    expect(withNew.status).toBe(200);
    expectUnauthenticated(withOld);
  });

  it('wrote log lines (the leak guard had something to scan) and no secret in any of them', () => {
    expect(guard.lines().some((line) => line.includes('Playback URL vended'))).toBe(true);
    expect(guard.lines().some((line) => line.includes('"code":"UNAUTHENTICATED"'))).toBe(true);
    expect(guard.secretCount).toBeGreaterThan(10);
  });
});
