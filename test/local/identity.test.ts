import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { UnauthenticatedError } from '../../lambda/core/errors';
import { createLocalApiServer } from '../../local/api-gateway/server';
import {
  JWKS_PATH,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  jwksDocument,
  mintToken,
} from '../../local/identity/identity-provider';
import { loadOrCreateSigningKey } from '../../local/identity/signing-key';
import { close, listen } from '../../local/listen';

const REPO_ROOT = resolve(__dirname, '..', '..');

describe('local identity provider', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-idp-'));
  const key = loadOrCreateSigningKey(stateDir);
  const api = createLocalApiServer({ partners: [], jwks: () => jwksDocument(key) });
  let jwksUrl: string;

  beforeAll(async () => {
    const port = await listen(api.server, 0, '127.0.0.1', 'API_PORT');
    jwksUrl = `http://127.0.0.1:${port}${JWKS_PATH}`;
  });
  afterAll(async () => {
    await close(api.server);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const verifier = () =>
    createJwtVerifier({
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      algorithms: ['ES256'],
      jwksUrl,
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
    });

  it('keeps the key it generated: a second load has the same kid', () => {
    const again = loadOrCreateSigningKey(stateDir);

    expect(again.kid).toBe(key.kid);
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: key.kid });
    expect(key.publicJwk).not.toHaveProperty('d');
  });

  it('mints tokens the product verifier accepts through the served JWKS', async () => {
    const token = mintToken(key, { sub: 'alice', groups: ['security'], ttlSeconds: 600 });

    const claims = await verifier().verify(token);

    expect(claims).toMatchObject({
      sub: 'alice',
      groups: ['security'],
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
  });

  it('mints expired tokens that the verifier refuses', async () => {
    const token = mintToken(key, { sub: 'alice', ttlSeconds: 60, now: Date.now() - 3_600_000 });

    await expect(verifier().verify(token)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses subjects, groups and lifetimes it cannot represent safely', () => {
    expect(() => mintToken(key, { sub: '' })).toThrow(/sub/);
    expect(() => mintToken(key, { sub: 'a b' })).toThrow(/sub/);
    expect(() => mintToken(key, { sub: 'alice', groups: ['x,y'] })).toThrow(/group/);
    expect(() => mintToken(key, { sub: 'alice', ttlSeconds: 0 })).toThrow(/ttl/);
    expect(() => mintToken(key, { sub: 'alice', ttlSeconds: 90_000 })).toThrow(/ttl/);
  });

  it('npm run token prints a token signed with the key of the local stack', async () => {
    const { stdout } = await promisify(execFile)(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['local/identity/mint-token.ts', '--sub', 'bob', '--groups', 'security,ops', '--ttl', '120'],
      { cwd: REPO_ROOT },
    );
    const defaultKey = loadOrCreateSigningKey();
    const served = createLocalApiServer({ partners: [], jwks: () => jwksDocument(defaultKey) });
    const port = await listen(served.server, 0, '127.0.0.1', 'API_PORT');
    try {
      const claims = await createJwtVerifier({
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        algorithms: ['ES256'],
        jwksUrl: `http://127.0.0.1:${port}${JWKS_PATH}`,
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
      }).verify(stdout.trim());

      expect(claims).toMatchObject({ sub: 'bob', groups: ['security', 'ops'] });
      expect((claims.exp as number) - (claims.iat as number)).toBe(120);
    } finally {
      await close(served.server);
    }
  });

  it('npm run token without --sub explains its usage and exits non-zero', async () => {
    const run = promisify(execFile)(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['local/identity/mint-token.ts'],
      {
        cwd: REPO_ROOT,
      },
    );

    const failure = await run.then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );

    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--sub is required');
  });
});
