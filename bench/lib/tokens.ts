import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** An HS256 identity for in-process scenarios: the handler is configured with the same secret. */
export interface BenchIdentity {
  readonly issuer: string;
  readonly audience: string;
  readonly secret: string;
  token(sub: string, groups?: readonly string[]): string;
}

export function benchIdentity(): BenchIdentity {
  const issuer = 'https://issuer.bench.invalid/';
  const audience = 'kvs-url-vending-bench';
  const secret = randomBytes(32).toString('base64url');
  return {
    issuer,
    audience,
    secret,
    token: (sub, groups = []) =>
      jwt.sign({ groups }, secret, { algorithm: 'HS256', issuer, audience, subject: sub, expiresIn: 3600 }),
  };
}
