import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { SigningKey } from './signing-key';

/**
 * Fixed, port-independent values so that a token minted by `npm run token` is accepted whichever port
 * the stack runs on. Only the local stack trusts this issuer.
 */
export const LOCAL_ISSUER = 'http://127.0.0.1/local-idp';
export const LOCAL_AUDIENCE = 'kvs-url-vending-local';
export const JWKS_PATH = '/.well-known/jwks.json';

const DEFAULT_TOKEN_TTL_SECONDS = 3600;
const MAX_TOKEN_TTL_SECONDS = 24 * 3600;

export interface MintTokenOptions {
  sub: string;
  groups?: readonly string[];
  /** Seconds; default 3600, at most 24 h. */
  ttlSeconds?: number;
  /** Epoch ms; tests mint tokens that are already expired. */
  now?: number;
}

const SUBJECT = /^[A-Za-z0-9._@+-]{1,128}$/;
const GROUP = /^[A-Za-z0-9._@+-]{1,128}$/;

/** Signs an ES256 access token the local API accepts (`iss`, `aud`, `sub`, `exp`, `groups`). */
export function mintToken(key: SigningKey, options: MintTokenOptions): string {
  if (!SUBJECT.test(options.sub)) throw new Error('sub must be 1-128 of A-Z a-z 0-9 . _ @ + -');
  const groups = options.groups ?? [];
  for (const group of groups) {
    if (!GROUP.test(group)) throw new Error('each group must be 1-128 of A-Z a-z 0-9 . _ @ + -');
  }
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new Error(`ttl must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`);
  }
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return jwt.sign(
    {
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      sub: options.sub,
      iat,
      exp: iat + ttl,
      jti: randomUUID(),
      ...(groups.length > 0 ? { groups: [...groups] } : {}),
    },
    key.privateKey,
    { algorithm: 'ES256', keyid: key.kid },
  );
}

/** The body served at `/.well-known/jwks.json`. */
export function jwksDocument(key: SigningKey): { keys: SigningKey['publicJwk'][] } {
  return { keys: [key.publicJwk] };
}
