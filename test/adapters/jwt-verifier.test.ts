import { createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError, UpstreamUnavailableError } from '../../lambda/core/errors';
import { createJwtVerifier, type JwtVerifierOptions } from '../../lambda/adapters/jwt-verifier';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'kvs-url-vending';

interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
}

function rsaKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
  };
}

function ecKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' },
  };
}

/** A real JWKS endpoint on loopback whose key list, availability and hit count the tests control. */
class JwksServer {
  keys: JsonWebKey[] = [];
  down = false;
  /** While set, requests wait until `release()`: a key set endpoint that is slow to answer. */
  private held: (() => void)[] | undefined;
  readonly paths: string[] = [];
  private server: Server | undefined;
  url = '';

  get hits(): number {
    return this.paths.length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.paths.push(req.url ?? '');
      if (this.held) {
        this.held.push(() =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys })),
        );
        return;
      }
      if (this.down) {
        res.writeHead(503).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const answer of waiting) answer();
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

class FakeClock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(
  key: TestKey,
  payload: Record<string, unknown> = {},
  options: {
    algorithm?: jwt.Algorithm;
    header?: Record<string, unknown>;
    expiresIn?: number;
    kid?: string | null;
  } = {},
): string {
  const algorithm = options.algorithm ?? (key.jwk.kty === 'EC' ? 'ES256' : 'RS256');
  const kid = options.kid === undefined ? key.kid : options.kid;
  return jwt.sign({ sub: 'alice', ...payload }, key.privateKey, {
    algorithm,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: options.expiresIn ?? 300,
    ...(kid === null ? {} : { keyid: kid }),
    ...(options.header ? { header: { alg: algorithm, ...options.header } } : {}),
  });
}

/** Signs header and payload exactly as given, with HMAC over a caller-chosen secret. */
function hmacToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const standardClaims = (): Record<string, unknown> => {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 };
};

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamUnavailableError);
  expect((error as Error).message).toBe('The token signing keys are unavailable.');
}

async function expectRejected(promise: Promise<unknown>, token?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  const message = (error as Error).message;
  expect(message).toBe('The bearer token is missing, invalid or expired.');
  if (token) expect(message).not.toContain(token);
}

describe('createJwtVerifier with a JWKS', () => {
  const server = new JwksServer();
  const rsa = rsaKey('rsa-1');
  const ec = ecKey('ec-1');
  let clock: FakeClock;

  const verifier = (overrides: Partial<JwtVerifierOptions> = {}) =>
    createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      jwksUrl: server.url,
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
      clock,
      ...overrides,
    });

  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.keys = [rsa.jwk, ec.jwk];
    server.down = false;
    server.paths.length = 0;
    clock = new FakeClock();
  });

  it('accepts a valid RS256 token and returns its claims', async () => {
    const claims = await verifier().verify(sign(rsa, { 'cognito:groups': ['security'] }));
    expect(claims.sub).toBe('alice');
    expect(claims.iss).toBe(ISSUER);
    expect(claims['cognito:groups']).toEqual(['security']);
  });

  it('accepts a valid ES256 token', async () => {
    const claims = await verifier().verify(sign(ec, { sub: 'bob' }));
    expect(claims.sub).toBe('bob');
  });

  it('fetches the key set once for many tokens, including concurrent first calls', async () => {
    const v = verifier();
    await Promise.all(Array.from({ length: 10 }, () => v.verify(sign(rsa))));
    await v.verify(sign(ec));
    expect(server.hits).toBe(1);
    expect(server.paths).toEqual(['/.well-known/jwks.json']);
  });

  it('rejects an expired token', async () => {
    const expired = jwt.sign(
      { sub: 'alice', iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 60 },
      rsa.privateKey,
      { algorithm: 'RS256', issuer: ISSUER, audience: AUDIENCE, keyid: rsa.kid },
    );
    await expectRejected(verifier().verify(expired), expired);
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ sub: 'alice', iat: now - 600, exp: now - 2 }, rsa.privateKey, {
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      keyid: rsa.kid,
    });
    await expect(verifier().verify(token)).resolves.toMatchObject({ sub: 'alice' });
    await expectRejected(verifier({ clockToleranceSeconds: 0 }).verify(token));
  });

  it('rejects a token whose nbf is in the future', async () => {
    const token = sign(rsa, { nbf: Math.floor(Date.now() / 1000) + 120 });
    await expectRejected(verifier().verify(token));
  });

  it('rejects a wrong issuer', async () => {
    const token = jwt.sign({ sub: 'alice' }, rsa.privateKey, {
      algorithm: 'RS256',
      issuer: 'https://evil.test',
      audience: AUDIENCE,
      expiresIn: 300,
      keyid: rsa.kid,
    });
    await expectRejected(verifier().verify(token));
  });

  it('rejects a wrong audience', async () => {
    const token = jwt.sign({ sub: 'alice' }, rsa.privateKey, {
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: 'another-api',
      expiresIn: 300,
      keyid: rsa.kid,
    });
    await expectRejected(verifier().verify(token));
  });

  it('rejects a token without sub, without exp, without iss or without aud', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      jwt.sign({ iss: ISSUER, aud: AUDIENCE, exp: now + 300 }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: rsa.kid,
      }),
      jwt.sign({ sub: 'alice', iss: ISSUER, aud: AUDIENCE }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: rsa.kid,
      }),
      jwt.sign({ sub: 'alice', aud: AUDIENCE, exp: now + 300 }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: rsa.kid,
      }),
      jwt.sign({ sub: 'alice', iss: ISSUER, exp: now + 300 }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: rsa.kid,
      }),
      jwt.sign({ sub: '', iss: ISSUER, aud: AUDIENCE, exp: now + 300 }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: rsa.kid,
      }),
    ];
    const v = verifier();
    for (const token of tokens) await expectRejected(v.verify(token));
  });

  it('rejects alg none, signed or unsigned', async () => {
    const header = { alg: 'none', typ: 'JWT', kid: rsa.kid };
    const unsigned = `${b64url(header)}.${b64url(standardClaims())}.`;
    const withJunkSignature = `${b64url(header)}.${b64url(standardClaims())}.c2lnbmF0dXJl`;
    await expectRejected(verifier().verify(unsigned));
    await expectRejected(verifier().verify(withJunkSignature));
  });

  it('rejects HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const token = hmacToken({ alg: 'HS256', typ: 'JWT', kid: rsa.kid }, standardClaims(), publicPem);
    await expectRejected(verifier().verify(token));
  });

  it('rejects a token whose alg does not match the published key', async () => {
    // An RS256 token presented under the EC key's kid must not be tried against that key.
    const token = sign(rsa, {}, { kid: ec.kid });
    await expectRejected(verifier().verify(token));
    await expectRejected(verifier({ algorithms: ['ES256'] }).verify(sign(rsa)));
  });

  it('rejects a tampered signature and a tampered payload', async () => {
    const token = sign(rsa);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectRejected(verifier().verify(`${header}.${payload}.${flipped}`));
    const forgedPayload = b64url({ ...standardClaims(), sub: 'mallory' });
    await expectRejected(verifier().verify(`${header}.${forgedPayload}.${signature}`));
  });

  it('rejects an oversized token before parsing it or fetching keys', async () => {
    const token = sign(rsa, { padding: 'x'.repeat(9000) });
    await expectRejected(verifier().verify(token));
    expect(server.hits).toBe(0);
    await expect(verifier({ maxTokenBytes: 16384 }).verify(token)).resolves.toMatchObject({ sub: 'alice' });
  });

  it('rejects malformed tokens', async () => {
    const v = verifier();
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '%%%.b.c', `${b64url('x')}.e30.c2ln`]) {
      await expectRejected(v.verify(token));
    }
  });

  it('requires a kid with a key set', async () => {
    await expectRejected(verifier().verify(sign(rsa, {}, { kid: null })));
  });

  it('refetches on an unknown kid at most once per interval', async () => {
    const v = verifier();
    const stranger = rsaKey('not-published');
    await v.verify(sign(rsa));
    expect(server.hits).toBe(1);

    await expectRejected(v.verify(sign(stranger)));
    await expectRejected(v.verify(sign(stranger)));
    await expectRejected(v.verify(sign(rsaKey('another-stranger'))));
    expect(server.hits).toBe(1);

    clock.advance(30_000);
    await expectRejected(v.verify(sign(stranger)));
    await expectRejected(v.verify(sign(stranger)));
    expect(server.hits).toBe(2);
  });

  it('picks up a rotated-in key on its first use after the interval, and keeps both while both are published', async () => {
    const v = verifier();
    await v.verify(sign(rsa));
    const next = rsaKey('rsa-2');
    server.keys = [rsa.jwk, next.jwk, ec.jwk];
    clock.advance(30_000);

    await expect(v.verify(sign(next, { sub: 'new' }))).resolves.toMatchObject({ sub: 'new' });
    await expect(v.verify(sign(rsa, { sub: 'old' }))).resolves.toMatchObject({ sub: 'old' });
    expect(server.hits).toBe(2);
  });

  it('stops trusting a retired key once the key set is refreshed', async () => {
    const v = verifier({ jwksMaxAgeSeconds: 600 });
    const next = rsaKey('rsa-2');
    server.keys = [rsa.jwk, next.jwk];
    await v.verify(sign(rsa));
    server.keys = [next.jwk];
    clock.advance(600_000);

    // Tokens outlive the advanced clock, so only the key set decides.
    await expectRejected(v.verify(sign(rsa, {}, { expiresIn: 3600 })));
    await expect(v.verify(sign(next, {}, { expiresIn: 3600 }))).resolves.toMatchObject({ sub: 'alice' });
  });

  it('does not make tokens with known keys wait for a slow refresh that an unknown kid started', async () => {
    const v = verifier();
    await v.verify(sign(rsa));
    clock.advance(30_000);
    server.hold();
    let unknownSettled = false;
    const unknown = v.verify(sign(rsaKey('forged-kid'))).then(
      () => 'accepted',
      (error: unknown) => (error instanceof UnauthenticatedError ? 'rejected' : 'failed'),
    );
    void unknown.finally(() => {
      unknownSettled = true;
    });
    // The refresh for the unknown kid is now waiting on the key set endpoint.
    await expect(v.verify(sign(rsa, { sub: 'known' }))).resolves.toMatchObject({ sub: 'known' });
    expect(unknownSettled).toBe(false);
    server.release();
    await expect(unknown).resolves.toBe('rejected');
    expect(server.hits).toBe(2);
  });

  it('keeps verifying with cached keys when the JWKS endpoint goes down', async () => {
    const v = verifier({ jwksMaxAgeSeconds: 60 });
    await v.verify(sign(rsa));
    server.down = true;
    clock.advance(120_000);

    await expect(v.verify(sign(rsa, {}, { expiresIn: 3600 }))).resolves.toMatchObject({ sub: 'alice' });
    await expect(v.verify(sign(ec, {}, { expiresIn: 3600 }))).resolves.toMatchObject({ sub: 'alice' });
    expect(server.hits).toBe(2);
    await expectRejected(v.verify(sign(rsaKey('unknown'))));
  });

  it('fails closed with UpstreamUnavailableError when the key set was never reachable, then recovers', async () => {
    server.down = true;
    const v = verifier();
    await expect(v.verify(sign(rsa))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    // A malformed token is still the caller's fault, key set or not.
    await expectRejected(v.verify('not.a.jwt'));
    server.down = false;
    clock.advance(30_000);
    await expect(v.verify(sign(rsa))).resolves.toMatchObject({ sub: 'alice' });
  });

  it('rejects a token with a crit header', async () => {
    await expectRejected(verifier().verify(sign(rsa, {}, { header: { crit: ['exp'], kid: rsa.kid } })));
  });

  it('rejects a nested JWT (cty JWT)', async () => {
    await expectRejected(verifier().verify(sign(rsa, {}, { header: { cty: 'JWT', kid: rsa.kid } })));
  });

  it('never follows jku, x5u or x5c, and never puts a kid in a URL', async () => {
    const attacker = new JwksServer();
    await attacker.start();
    try {
      const evil = rsaKey('evil');
      attacker.keys = [evil.jwk];
      const token = sign(evil, {}, { header: { kid: 'evil', jku: attacker.url, x5u: attacker.url } });
      await expectRejected(verifier().verify(token));
      expect(attacker.hits).toBe(0);

      clock.advance(30_000);
      await expectRejected(verifier().verify(sign(rsa, {}, { kid: '../../admin?x=1 y' })));
      await expectRejected(verifier().verify(sign(rsa, {}, { kid: 'a\u0000b' })));
      expect(server.paths.every((p) => p === '/.well-known/jwks.json')).toBe(true);
    } finally {
      await attacker.stop();
    }
  });

  it('refuses a configuration that mixes HS and RS, or has neither key source', () => {
    const base = {
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
    };
    expect(() => createJwtVerifier({ ...base, algorithms: ['RS256', 'HS256'], jwksUrl: server.url })).toThrow(
      /algorithms/,
    );
    expect(() => createJwtVerifier({ ...base, algorithms: ['HS256', 'RS256'], secret: 's' })).toThrow(
      /algorithms/,
    );
    expect(() =>
      createJwtVerifier({ ...base, algorithms: ['RS256'], jwksUrl: server.url, secret: 's' }),
    ).toThrow(/exactly one/);
    expect(() => createJwtVerifier({ ...base, algorithms: ['RS256'] })).toThrow(/exactly one/);
    expect(() => createJwtVerifier({ ...base, algorithms: [], secret: 's' })).toThrow(/algorithms/);
    expect(() => createJwtVerifier({ ...base, algorithms: ['HS256'], secret: 'x'.repeat(31) })).toThrow(
      /32 bytes/,
    );
  });
});

describe('createJwtVerifier with an HS256 secret', () => {
  const SECRET = 'a-long-local-development-secret-0123456789';
  const base = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'] as const,
    clockToleranceSeconds: 5,
    maxTokenBytes: 8192,
    jwksRefetchIntervalSeconds: 30,
  };
  const hsToken = (payload: Record<string, unknown> = {}, secret = SECRET) =>
    jwt.sign({ sub: 'alice', ...payload }, secret, {
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: 300,
    });

  it('accepts a valid token and rejects one signed with another secret', async () => {
    const v = createJwtVerifier({ ...base, secret: SECRET });
    await expect(v.verify(hsToken({ groups: ['security'] }))).resolves.toMatchObject({
      sub: 'alice',
      groups: ['security'],
    });
    await expectRejected(v.verify(hsToken({}, 'another-secret-another-secret-another')));
  });

  describe('issued-at and lifetime', () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = { now: () => now * 1000 };
    const raw = (claims: Record<string, unknown>) =>
      hmacToken(
        { alg: 'HS256', typ: 'JWT' },
        { sub: 'alice', iss: ISSUER, aud: AUDIENCE, ...claims },
        SECRET,
      );
    const reasonOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnauthenticatedError);
      expect((error as Error).message).toBe('The bearer token is missing, invalid or expired.');
      return (error as UnauthenticatedError).reason;
    };

    it.each<[string, unknown]>([
      ['a string', String(now)],
      ['an ISO date', new Date(now * 1000).toISOString()],
      ['an object', { seconds: now }],
      ['a boolean', true],
      ['null', null],
    ])('refuses an iat that is %s, as exp and nbf are refused', async (_name, iat) => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock });
      await expect(v.verify(raw({ iat: now, exp: now + 300 }))).resolves.toMatchObject({ sub: 'alice' });
      expect(await reasonOf(v.verify(raw({ iat, exp: now + 300 })))).toBe('invalid');
    });

    it('refuses a token issued in the future, beyond the clock tolerance', async () => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock });
      await expect(v.verify(raw({ iat: now + 5, exp: now + 300 }))).resolves.toMatchObject({ sub: 'alice' });
      expect(await reasonOf(v.verify(raw({ iat: now + 60, exp: now + 300 })))).toBe('invalid');
    });

    it('refuses a token whose lifetime exp - iat exceeds the maximum, 24 h by default', async () => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock });
      await expect(v.verify(raw({ iat: now - 60, exp: now - 60 + 86_400 }))).resolves.toMatchObject({
        sub: 'alice',
      });
      expect(await reasonOf(v.verify(raw({ iat: now - 60, exp: now - 60 + 86_401 })))).toBe('invalid');
    });

    it('follows a configured maximum lifetime', async () => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock, maxTokenLifetimeSeconds: 3600 });
      await expect(v.verify(raw({ iat: now, exp: now + 3600 }))).resolves.toMatchObject({ sub: 'alice' });
      expect(await reasonOf(v.verify(raw({ iat: now, exp: now + 3601 })))).toBe('invalid');
    });

    it('without iat, refuses a token with more than the maximum lifetime left', async () => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock });
      await expect(v.verify(raw({ exp: now + 3600 }))).resolves.toMatchObject({ sub: 'alice' });
      expect(await reasonOf(v.verify(raw({ exp: now + 10 * 86_400 })))).toBe('invalid');
    });

    it('calls a token expired only when it is valid in every other respect', async () => {
      const v = createJwtVerifier({ ...base, secret: SECRET, clock });
      const expired = { iat: now - 3600, exp: now - 60 };
      expect(await reasonOf(v.verify(raw(expired)))).toBe('expired');
      expect(await reasonOf(v.verify(raw({ ...expired, aud: 'another-api' })))).toBe('invalid');
      expect(await reasonOf(v.verify(raw({ ...expired, sub: '' })))).toBe('invalid');
      expect(await reasonOf(v.verify(raw({ iat: now - 200_000, exp: now - 60 })))).toBe('invalid');
      expect(await reasonOf(v.verify(raw({ ...expired, iat: 'yesterday' })))).toBe('invalid');
      expect(
        await reasonOf(
          v.verify(
            hmacToken(
              { alg: 'HS256' },
              { sub: 'alice', iss: ISSUER, aud: AUDIENCE, ...expired },
              'x'.repeat(40),
            ),
          ),
        ),
      ).toBe('invalid');
    });
  });

  it('rejects RS256 tokens and alg none', async () => {
    const v = createJwtVerifier({ ...base, secret: SECRET });
    await expectRejected(v.verify(sign(rsaKey('k'))));
    await expectRejected(v.verify(`${b64url({ alg: 'none' })}.${b64url(standardClaims())}.`));
  });

  it('loads a secret from a loader once and keeps it', async () => {
    let loads = 0;
    const v = createJwtVerifier({
      ...base,
      secret: () => {
        loads += 1;
        return Promise.resolve(SECRET);
      },
    });
    await Promise.all([v.verify(hsToken()), v.verify(hsToken()), v.verify(hsToken())]);
    await v.verify(hsToken());
    expect(loads).toBe(1);
  });

  it('refuses a loaded secret that is too short: nothing verifies, and the server says it is unavailable', async () => {
    const v = createJwtVerifier({ ...base, secret: () => Promise.resolve('short') });
    await expectUnavailable(
      v.verify(
        jwt.sign({ sub: 'alice' }, 'short', {
          algorithm: 'HS256',
          issuer: ISSUER,
          audience: AUDIENCE,
          expiresIn: 300,
        }),
      ),
    );
  });

  it('fails closed when the secret cannot be loaded, then recovers', async () => {
    let available = false;
    const v = createJwtVerifier({
      ...base,
      secret: () => (available ? Promise.resolve(SECRET) : Promise.reject(new Error('secrets store down'))),
    });
    await expectUnavailable(v.verify(hsToken()));
    available = true;
    await expect(v.verify(hsToken())).resolves.toMatchObject({ sub: 'alice' });
  });
});
