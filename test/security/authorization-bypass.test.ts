import { loadStreamConfigs, parseStreamConfigs } from '@kvs-url-vending/kvs-emulator';
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
 * Attempts to get a URL for a stream the caller holds no grant for, each through the whole local stack
 * (API adapter, real handler module, grants in dynalite seeded from a grants file, KVS emulator). A refusal
 * must never reach KVS: the emulator's session-URL counter proves it.
 */
const PAST = '2020-01-01T00:00:00Z';
const FUTURE = '2099-01-01T00:00:00Z';
const live = { playbackModes: ['LIVE'], protocols: ['HLS', 'DASH'], maxExpiresInSeconds: 900 };
const GRANTS = [
  { principal: 'user:alice', streams: ['front-door'], ...live },
  { principal: 'user:bob', streams: ['backyard'], ...live },
  { principal: 'group:security', streams: ['*'], ...live },
  { principal: 'group:ops', streams: ['site-a'], ...live },
  { principal: 'user:carol', streams: ['site-a', 'site-b-*'], ...live },
  { principal: 'user:dave', streams: ['site-a*'], ...live },
  { principal: 'user:erin', streams: ['front-door'], ...live, notAfter: PAST },
  { principal: 'user:frank', streams: ['front-door'], ...live, notAfter: FUTURE },
  { principal: 'partner:demo-partner', streams: ['front-door'], ...live, maxExpiresInSeconds: 300 },
  { principal: 'partner:partner-b', streams: ['backyard'], ...live, maxExpiresInSeconds: 300 },
];
const SITE_STREAMS = ['site-a', 'site-ab', 'site-a-1', 'site-b', 'site-b-1', 'site-bx'];
const PARTNER_B: LocalPartner = {
  apiKeyId: 'partner-b',
  apiKey: 'local-partner-b-key-0a1b2c3d4e5f6071',
  usagePlan: { rateLimit: 1000, burstLimit: 1000 },
};
const PARTNER_A = {
  ...(demoPartners as LocalPartner[])[0]!,
  usagePlan: { rateLimit: 1000, burstLimit: 1000 },
};

const vendPath = (stream: string, partner = false): string =>
  `${partner ? '/partner' : ''}/v1/streams/${stream}/playback-url`;

describe('authorization bypass attempts over HTTP', () => {
  let env: GuardedStack;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await startGuardedStack({
      partners: [PARTNER_A, PARTNER_B],
      emulator: {
        streams: [
          ...loadStreamConfigs(),
          ...parseStreamConfigs(SITE_STREAMS.map((name) => ({ name, retentionHours: 1, media: 'fixture' }))),
        ],
      },
      prepare: (scratchFile) => ({ grantsFile: scratchFile('grants.json', GRANTS) }),
    });
    for (const sub of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) tokens[sub] = env.token(sub);
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.guard.assertNoLeaks();
  });

  const sessionUrlCalls = (): number => {
    const counters = env.stack.emulator.counters();
    return (counters.GetHLSStreamingSessionURL ?? 0) + (counters.GetDASHStreamingSessionURL ?? 0);
  };
  const vend = (path: string, auth: Pick<RawRequest, 'token' | 'apiKey'>): Promise<RawAnswer> =>
    env.send({ path, json: {}, ...auth });

  /** A refusal: a 4xx in one of the two error shapes, no URL, and KVS never asked for a session. */
  const expectRefused = (answer: RawAnswer, kvsCallsBefore: number): void => {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(isErrorShape(answer.json)).toBe(true);
    expect(answer.text).not.toMatch(/SessionToken|https?:\/\//);
    expect(sessionUrlCalls()).toBe(kvsCallsBefore);
  };

  it("refuses other users' streams with the same 403 as a stream that does not exist, without calling KVS", async () => {
    const before = sessionUrlCalls();

    const bobOnFrontDoor = await vend(vendPath('front-door'), { token: tokens.bob });
    const aliceOnBackyard = await vend(vendPath('backyard'), { token: tokens.alice });
    const aliceOnNothing = await vend(vendPath('no-such-stream'), { token: tokens.alice });

    for (const answer of [bobOnFrontDoor, aliceOnBackyard, aliceOnNothing]) {
      expectRefused(answer, before);
      expect(answer.status).toBe(403);
    }
    const stripId = (answer: RawAnswer): unknown => ({
      ...(answer.json as { error: object }).error,
      requestId: undefined,
    });
    expect(stripId(bobOnFrontDoor)).toEqual(stripId(aliceOnNothing));
    expect(stripId(aliceOnBackyard)).toEqual(stripId(aliceOnNothing));
  });

  it('treats stream names and subjects case-sensitively', async () => {
    const before = sessionUrlCalls();

    for (const stream of ['Front-Door', 'FRONT-DOOR', 'front-Door', 'front-doorX']) {
      const answer = await vend(vendPath(stream), { token: tokens.alice });
      expectRefused(answer, before);
      expect(answer.status).toBe(403);
    }
    expectRefused(await vend(vendPath('front-door'), { token: env.token('Alice') }), before);
    expectRefused(await vend(vendPath('front-door'), { token: env.token('ALICE') }), before);
  });

  it('decodes a path parameter exactly once: %2F, .. and double encoding never reach another stream', async () => {
    // Control: a harmless percent-encoded letter decodes to the granted name and works.
    const control = await vend(vendPath('front-%64oor'), { token: tokens.alice });
    expect(control.status).toBe(200);
    const before = sessionUrlCalls();

    const attempts = [
      vendPath('front-door%2F..%2Fbackyard'),
      vendPath('backyard%2F..%2Ffront-door'),
      vendPath('..%2Fbackyard'),
      vendPath('%2e%2e%2Fbackyard'),
      vendPath('front-door%252F..%252Fbackyard'),
      vendPath('front-door/../backyard'),
      vendPath('front-door/..%2F..%2Fbackyard'),
      '/v1/streams/front-door/../backyard/playback-url',
      '/v1/streams/front-door/playback-url/../../backyard/playback-url',
      vendPath('%2e%2e'),
      vendPath('.'),
      vendPath('backyard%00'),
      vendPath('backyard%20'),
      vendPath('backyard%0d%0aX-Injected:%201'),
      vendPath('backyard;front-door'),
      vendPath('backyard?stream=front-door'),
      vendPath('backyard#front-door'),
    ];
    for (const path of attempts) {
      const answer = await vend(path, { token: tokens.alice });
      expectRefused(answer, before);
    }
    for (const path of attempts.map((attempt) => attempt.replaceAll('backyard', 'front-door'))) {
      expectRefused(await vend(path, { token: tokens.bob }), before);
    }
  });

  it('rejects unicode look-alikes of a granted name as invalid names, even for a wildcard grant', async () => {
    const security = env.token('sam', ['security']);
    const before = sessionUrlCalls();
    const lookAlikes = [
      'fr\u043ent-door', // Cyrillic o
      'front\u2010door', // Unicode hyphen
      '\uff46ront-door', // fullwidth f
      'front-door\u200b', // zero-width space
      'front-doo\u0072\u0301', // combining accent
      'front\u2024door', // one-dot leader
      'ﬀront-door', // ligature
    ];

    for (const name of lookAlikes) {
      for (const token of [tokens.alice, security]) {
        const answer = await vend(vendPath(encodeURIComponent(name)), { token });
        expectRefused(answer, before);
        expect(answer.status).toBe(400);
      }
    }
  });

  it('matches exact names exactly and prefix grants as plain string prefixes', async () => {
    const cases: [string, string, boolean][] = [
      ['carol', 'site-a', true],
      ['carol', 'site-ab', false], // exact grant `site-a` is not a prefix
      ['carol', 'site-a-1', false],
      ['carol', 'site-b-1', true], // `site-b-*`
      ['carol', 'site-b', false], // the prefix without its dash
      ['carol', 'site-bx', false],
      ['dave', 'site-a', true], // `site-a*` covers the empty suffix...
      ['dave', 'site-ab', true], // ...and any longer name: it is a string prefix, not a path segment
      ['dave', 'site-a-1', true],
      ['dave', 'site-b', false],
    ];

    for (const [user, stream, allowed] of cases) {
      const before = sessionUrlCalls();
      const answer = await vend(vendPath(stream), { token: tokens[user] });
      if (allowed) {
        expect([user, stream, answer.status]).toEqual([user, stream, 200]);
        expect((answer.json as { stream: string }).stream).toBe(stream);
      } else {
        expect([user, stream, answer.status]).toEqual([user, stream, 403]);
        expectRefused(answer, before);
      }
    }
    const literalStar = await vend(vendPath('site-b-*'), { token: tokens.carol });
    expect(literalStar.status).toBe(400);
  });

  it('ignores an expired grant for vending and listing; an unexpired one works', async () => {
    const before = sessionUrlCalls();

    const expired = await vend(vendPath('front-door'), { token: tokens.erin });
    expectRefused(expired, before);
    const expiredList = await env.send({ path: '/v1/streams', token: tokens.erin });
    const valid = await vend(vendPath('front-door'), { token: tokens.frank });

    expect(expired.status).toBe(403);
    expect(expiredList.status).toBe(200);
    expect(expiredList.json).toEqual({ streams: [] });
    expect(valid.status).toBe(200);
  });

  it("refuses a partner key on another partner's stream, and keys on the wrong kind of route", async () => {
    const before = sessionUrlCalls();

    const aOnB = await vend(vendPath('backyard', true), { apiKey: PARTNER_A.apiKey });
    const bOnA = await vend(vendPath('front-door', true), { apiKey: PARTNER_B.apiKey });
    const keyOnUserRoute = await vend(vendPath('backyard'), { apiKey: PARTNER_B.apiKey });
    const jwtOnPartnerRoute = await vend(vendPath('front-door', true), { token: tokens.alice });
    const keyCaseChanged = await vend(vendPath('front-door', true), {
      apiKey: PARTNER_A.apiKey.toUpperCase(),
    });
    const keyTruncated = await vend(vendPath('front-door', true), { apiKey: PARTNER_A.apiKey.slice(0, -1) });

    expect([aOnB.status, bOnA.status]).toEqual([403, 403]);
    expect(keyOnUserRoute.status).toBe(401);
    // API Gateway's INVALID_API_KEY, in the service's shape.
    for (const answer of [jwtOnPartnerRoute, keyCaseChanged, keyTruncated]) {
      expect(answer.status).toBe(401);
      expect((answer.json as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
      expect(answer.headers['www-authenticate']).toBe('ApiKey header="x-api-key"');
    }
    for (const answer of [aOnB, bOnA, keyOnUserRoute, jwtOnPartnerRoute, keyCaseChanged, keyTruncated]) {
      expectRefused(answer, before);
    }
    const bOnOwn = await vend(vendPath('backyard', true), { apiKey: PARTNER_B.apiKey });
    const bList = await env.send({ path: '/partner/v1/streams', apiKey: PARTNER_B.apiKey });
    expect(bOnOwn.status).toBe(200);
    expect((bList.json as { streams: { stream: string }[] }).streams.map((entry) => entry.stream)).toEqual([
      'backyard',
    ]);
  });

  it('refuses a token whose groups claim has the wrong type instead of coercing it', async () => {
    const control = await vend(vendPath('site-a'), {
      token: env.signClaims({ sub: 'zoe', groups: ['ops'] }),
    });
    expect(control.status).toBe(200);
    const before = sessionUrlCalls();

    const claims: Record<string, unknown>[] = [
      { groups: 'ops' },
      { groups: 'ops,security' },
      { groups: { 0: 'ops' } },
      { groups: ['ops', 7] },
      { groups: [['ops']] },
      { groups: [''] },
      { groups: null },
      { groups: true },
      { groups: 'security', 'cognito:groups': ['security'] },
    ];
    for (const extra of claims) {
      const token = env.signClaims({ sub: 'zoe', ...extra });
      const answer = await vend(vendPath('site-a'), { token });
      const list = await env.send({ path: '/v1/streams', token });
      expect([JSON.stringify(extra), answer.status, list.status]).toEqual([JSON.stringify(extra), 401, 401]);
      expectRefused(answer, before);
    }
  });

  it('reads groups from the configured claim only: another claim never stands in for it', async () => {
    const before = sessionUrlCalls();
    // The function's default is `groups`; a Cognito deployment configures `cognito:groups` instead.
    const token = env.signClaims({ sub: 'zoe', 'cognito:groups': ['security'] });

    const answer = await vend(vendPath('site-a'), { token });
    const list = await env.send({ path: '/v1/streams', token });

    expect(answer.status).toBe(403);
    expectRefused(answer, before);
    expect(list.json).toEqual({ streams: [] });
  });

  it('logged the refusals (the guard had log lines to scan)', () => {
    expect(env.guard.lines().some((line) => line.includes('"outcome":"refused"'))).toBe(true);
    expect(env.guard.lines().some((line) => line.includes('Playback URL vended'))).toBe(true);
  });
});
