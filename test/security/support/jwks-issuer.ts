import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export interface IssuerKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

/** What the key set endpoint does with the next requests. */
export type JwksMode =
  | { readonly kind: 'up' }
  | { readonly kind: 'down'; readonly status: number }
  /** Accepts the request and never answers (until the server stops). */
  | { readonly kind: 'hang' };

export function generateIssuerKey(alg: 'RS256' | 'ES256', kid = `key-${randomUUID()}`): IssuerKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

/**
 * An OIDC issuer's key set endpoint under the test's control: which keys it publishes, whether it is up,
 * down or hanging, and every path it was asked for (so a test can prove nobody fetched a URL from a
 * token header).
 */
export class JwksIssuer {
  readonly issuer = 'https://issuer.test.invalid/';
  readonly audience = 'kvs-url-vending-security-tests';
  readonly requests: string[] = [];
  published: IssuerKey[] = [];
  mode: JwksMode = { kind: 'up' };
  /** Epoch ms the tokens are issued at (a test moving the verifier's clock moves this one too). */
  now: () => number = () => Date.now();
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answers every request left hanging and returns to normal service. */
  release(): void {
    this.mode = { kind: 'up' };
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
  }

  /** A token of this issuer, signed with `key`; `header` adds protected header fields. */
  sign(key: IssuerKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
    const now = Math.floor(this.now() / 1000);
    return jwt.sign(
      { iss: this.issuer, aud: this.audience, sub: 'alice', iat: now, exp: now + 600, ...claims },
      key.privateKey,
      { algorithm: key.alg, header: { alg: key.alg, kid: key.kid, typ: 'JWT', ...header } },
    );
  }

  /** A compact JWS over any payload bytes (jsonwebtoken only signs JSON claims). */
  signRaw(key: IssuerKey, header: Record<string, unknown>, payload: string): string {
    const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
    const input = `${encode(JSON.stringify({ alg: key.alg, kid: key.kid, ...header }))}.${encode(payload)}`;
    const signer = createSign('SHA256');
    signer.update(input);
    const signature =
      key.alg === 'ES256'
        ? signer.sign({ key: key.privateKey, dsaEncoding: 'ieee-p1363' })
        : signer.sign(key.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests.push(request.url ?? '');
    if (this.mode.kind === 'hang') {
      this.hanging.add(response);
      return;
    }
    if (this.mode.kind === 'down') {
      response.writeHead(this.mode.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const body = JSON.stringify({ keys: this.published.map((key) => key.publicJwk) });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }
}
