import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { NOW } from '../core/fakes';
import { AUDIENCE, clock, context, event, ISSUER, setupHandler } from './support';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'key-1';

let server: Server;
let jwksUrl: string;
let jwksRequests = 0;

beforeAll(async () => {
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
  server = createServer((_request, response) => {
    jwksRequests += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const iat = Math.floor(NOW / 1000);
const claims = { sub: 'alice', iat, exp: iat + 300 };

function rs256(key: KeyObject = privateKey, kid = KID, payload: object = claims): string {
  return jwt.sign(payload, key, { algorithm: 'RS256', keyid: kid, issuer: ISSUER, audience: AUDIENCE });
}

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function setup() {
  return setupHandler({
    verifier: createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      jwksUrl,
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
      clock,
    }),
  });
}

const call = (handler: ReturnType<typeof setup>['handler'], token: string) =>
  handler(event({ headers: { Authorization: `Bearer ${token}` } }), context);

describe('bearer JWTs verified against a JWKS served over HTTP', () => {
  it('vends for a valid RS256 token', async () => {
    const { handler, kvs } = setup();
    const response = await call(handler, rs256());
    expect(response.statusCode).toBe(200);
    expect(kvs.sessionRequests).toHaveLength(1);
    expect(jwksRequests).toBeGreaterThan(0);
  });

  const attacks: [string, () => string][] = [
    [
      'alg none',
      () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, iss: ISSUER, aud: AUDIENCE })}.`,
    ],
    [
      'HS256 signed with the public key (key confusion)',
      () =>
        jwt.sign({ ...claims }, publicKey.export({ format: 'pem', type: 'spki' }).toString(), {
          algorithm: 'HS256',
          keyid: KID,
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
    ],
    ['an unknown kid', () => rs256(other.privateKey, 'key-2')],
    ['the right kid signed by another key', () => rs256(other.privateKey, KID)],
    [
      'a tampered payload',
      () => {
        const [header, , signature] = rs256().split('.');
        return `${header}.${b64url({ ...claims, sub: 'bob', iss: ISSUER, aud: AUDIENCE })}.${signature}`;
      },
    ],
    ['an expired token', () => rs256(privateKey, KID, { sub: 'alice', iat: iat - 3600, exp: iat - 60 })],
    ['a token without sub', () => rs256(privateKey, KID, { iat, exp: iat + 300 })],
  ];

  it.each(attacks)('answers 401 for %s and never calls KVS', async (name, makeToken) => {
    const { handler, kvs, grants } = setup();
    const response = await call(handler, makeToken());
    expect(response.statusCode).toBe(401);
    // Only a token good in every respect but its age is called expired: the client should refresh it.
    const description =
      name === 'an expired token' ? 'The access token expired' : 'The access token is invalid';
    expect(response.headers?.['WWW-Authenticate']).toBe(
      `Bearer error="invalid_token", error_description="${description}"`,
    );
    expect(grants.calls).toEqual([]);
    expect(kvs.sessionRequests).toEqual([]);
  });
});

describe('a key set that has never been reachable', () => {
  it('answers 503 UPSTREAM_UNAVAILABLE, without calling the grants or KVS', async () => {
    const { handler, kvs, grants } = setupHandler({
      verifier: createJwtVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['RS256'],
        // Nothing listens on port 9 (discard): the key set cannot be fetched.
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
        clock,
      }),
    });
    const response = await call(handler, rs256());
    expect(response.statusCode).toBe(503);
    expect((JSON.parse(response.body) as { error: { code: string } }).error.code).toBe(
      'UPSTREAM_UNAVAILABLE',
    );
    expect(kvs.sessionRequests).toHaveLength(0);
    expect(grants.calls).toHaveLength(0);
  });
});
