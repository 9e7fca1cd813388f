import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ExpiredTokenError, UnauthenticatedError, UpstreamUnavailableError } from '../core/errors';
import type { Clock, TokenVerifier } from '../core/ports';

export const JWT_ALGORITHMS = ['RS256', 'ES256', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/**
 * The algorithms each kind of key verifies. A verifier holds one kind only, so symmetric and asymmetric
 * algorithms never mix, which rules out HS/RS key confusion by construction.
 */
export const JWT_ALGORITHMS_BY_KEY = {
  /** The issuer's key set (JWKS). */
  keySet: ['RS256', 'ES256'],
  /** A shared secret. */
  secret: ['HS256'],
} as const satisfies Readonly<Record<string, readonly JwtAlgorithm[]>>;

/** The longest token lifetime accepted unless configured otherwise (24 h). */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: readonly JwtAlgorithm[];
  /** Key set of the issuer (RS256/ES256). Exactly one of jwksUrl and secret. */
  jwksUrl?: string;
  /** Shared HS256 secret, or a loader for it (Secrets Manager). */
  secret?: string | (() => Promise<string>);
  clockToleranceSeconds: number;
  maxTokenBytes: number;
  /**
   * Longest lifetime a token may have: `exp - iat` when `iat` is present, and in any case no more than
   * this much left before `exp`. Default 86400 (24 h).
   */
  maxTokenLifetimeSeconds?: number;
  /** An unknown `kid` triggers at most one key set fetch per this interval. */
  jwksRefetchIntervalSeconds: number;
  jwksTimeoutMs?: number;
  /** How long a fetched key set is trusted before it is refreshed (keys removed by the issuer stop working). */
  jwksMaxAgeSeconds?: number;
  clock?: Clock;
}

/** A `kid` is an opaque label; anything outside this set is refused rather than handled. */
const KID_PATTERN = /^[A-Za-z0-9._~+/=:-]{1,256}$/;
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;
const GENERIC_MESSAGE = 'The bearer token is missing, invalid or expired.';
export const DEFAULT_JWKS_TIMEOUT_MS = 2_000;
const DEFAULT_JWKS_MAX_AGE_SECONDS = 600;
/** How long a loaded secret is kept before the loader is asked again (rotation). */
const SECRET_MAX_AGE_SECONDS = 300;
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const MIN_SECRET_BYTES = 32;

interface TokenHeader {
  alg: JwtAlgorithm;
  kid?: string;
}

interface PublishedKey {
  key: KeyObject;
  /** `alg` the issuer published for this key, if any. */
  alg?: string;
  /** Algorithms this key can actually serve, from its type and curve. */
  usableFor: readonly JwtAlgorithm[];
}

/** No key (or secret) to verify with has ever been loaded: a server-side outage, answered 503. */
const KEYS_UNAVAILABLE = 'The token signing keys are unavailable.';

const fail = (): never => {
  throw new UnauthenticatedError(GENERIC_MESSAGE, 'invalid');
};

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * Verifies bearer JWTs. Every failure of the token, whatever its cause, is an UnauthenticatedError with
 * one generic message, so nothing about the token or the key set leaks to the caller. Only when no key or
 * secret has ever been loaded (the key set or secret store is down since cold start) is the answer an
 * UpstreamUnavailableError: fail closed, but without telling a valid caller its token is bad.
 *
 * Symmetric and asymmetric algorithms are never mixed: a verifier holds either a secret (HS256 only)
 * or a key set (RS256/ES256 only), which rules out HS/RS key confusion by construction.
 */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const hasJwks = options.jwksUrl !== undefined && options.jwksUrl !== '';
  const hasSecret = options.secret !== undefined && options.secret !== '';
  if (hasJwks === hasSecret) {
    throw new Error('JWT verifier: configure exactly one of jwksUrl and secret.');
  }
  const family: readonly JwtAlgorithm[] = hasJwks
    ? JWT_ALGORITHMS_BY_KEY.keySet
    : JWT_ALGORITHMS_BY_KEY.secret;
  const algorithms = options.algorithms.filter((alg) => family.includes(alg));
  if (algorithms.length === 0 || algorithms.length !== options.algorithms.length) {
    throw new Error(
      `JWT verifier: algorithms must be a non-empty subset of ${family.join(', ')} with ${hasJwks ? 'a JWKS URL' : 'a secret'}.`,
    );
  }
  if (!options.issuer || !options.audience) {
    throw new Error('JWT verifier: issuer and audience are required.');
  }
  if (typeof options.secret === 'string' && Buffer.byteLength(options.secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new Error(`JWT verifier: an HS256 secret needs at least ${MIN_SECRET_BYTES} bytes.`);
  }
  const clock = options.clock ?? { now: () => Date.now() };

  const keyFor: (header: TokenHeader) => Promise<string | KeyObject> = hasJwks
    ? createKeySet(options.jwksUrl as string, options, clock)
    : createSecretSource(options.secret as string | (() => Promise<string>), clock);

  const maxLifetimeSeconds = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const tolerance = options.clockToleranceSeconds;

  /** The claims we require beyond what jsonwebtoken checks; false when one is missing or malformed. */
  const claimsHold = (payload: string | jwt.JwtPayload, nowSeconds: number): payload is jwt.JwtPayload => {
    if (typeof payload !== 'object' || payload === null) return false;
    if (!isNumericDate(payload.exp)) return false;
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) return false;
    const iat: unknown = payload.iat;
    if (iat !== undefined) {
      // A string or an object would otherwise pass unread; a token from the future is not one we issued.
      if (!isNumericDate(iat) || iat > nowSeconds + tolerance) return false;
      if (payload.exp - iat > maxLifetimeSeconds) return false;
    }
    // Without iat the lifetime cannot be read, but what is left of it can.
    return payload.exp - nowSeconds <= maxLifetimeSeconds + tolerance;
  };

  return {
    async verify(token: string): Promise<Readonly<Record<string, unknown>>> {
      const header = readHeader(token, options.maxTokenBytes, algorithms, hasJwks);
      const key = await keyFor(header);
      const nowSeconds = Math.floor(clock.now() / 1000);
      const verifyOptions: jwt.VerifyOptions & { complete?: false } = {
        algorithms: [header.alg],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: tolerance,
        clockTimestamp: nowSeconds,
      };
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, verifyOptions);
      } catch (error) {
        // "Expired" only for a token that is good in every other respect: a client told so refreshes it.
        const expired =
          error instanceof jwt.TokenExpiredError
            ? expiredButOtherwiseValid(token, key, verifyOptions)
            : undefined;
        if (expired) throw new ExpiredTokenError(GENERIC_MESSAGE, expired);
        return fail();
      }
      if (!claimsHold(payload, nowSeconds)) return fail();
      return payload;
    },
  };

  function expiredButOtherwiseValid(
    token: string,
    key: string | KeyObject,
    verifyOptions: jwt.VerifyOptions & { complete?: false },
  ): jwt.JwtPayload | undefined {
    try {
      const payload = jwt.verify(token, key, { ...verifyOptions, ignoreExpiration: true });
      // Judged at the moment it expired, so the lifetime rules apply as they did while it was valid.
      const holds =
        typeof payload === 'object' && isNumericDate(payload.exp) && claimsHold(payload, payload.exp);
      return holds ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Decodes and vets the protected header before any key lookup or signature work. The size cap comes
 * first so an oversized token is never parsed.
 */
function readHeader(
  token: string,
  maxTokenBytes: number,
  algorithms: readonly JwtAlgorithm[],
  needsKid: boolean,
): TokenHeader {
  if (typeof token !== 'string' || token.length === 0) return fail();
  if (Buffer.byteLength(token, 'utf8') > maxTokenBytes) return fail();
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL_SEGMENT.test(part))) return fail();
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8'));
  } catch {
    return fail();
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail();
  const fields = header as Record<string, unknown>;
  // Extensions we do not implement must not be silently ignored (RFC 7515 §4.1.11).
  if ('crit' in fields) return fail();
  // A nested JWT would need a second verification we do not do.
  if (typeof fields.cty === 'string' && fields.cty.toUpperCase() === 'JWT') return fail();
  const alg = fields.alg;
  if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg)) return fail();
  const kid = fields.kid;
  if (kid !== undefined && (typeof kid !== 'string' || !KID_PATTERN.test(kid))) return fail();
  if (needsKid && kid === undefined) return fail();
  // jku, x5u and x5c are deliberately never read: keys come only from the configured key set.
  return { alg: alg as JwtAlgorithm, ...(kid !== undefined ? { kid: kid } : {}) };
}

/**
 * The issuer's key set, fetched whole and kept by `kid`. An unknown `kid` refreshes it at most once per
 * refetch interval (single-flight), so forged kids cannot hammer the issuer. When a refresh fails the
 * keys already known keep working; a successful refresh replaces the set, so retired keys stop working.
 *
 * Keys are imported with node:crypto rather than jwks-rsa: jwks-rsa 4 pulls in jose 6, an ES-module-only
 * package that the CommonJS test runtime cannot load, and its per-kid cache and per-minute limiter do not
 * give the "one refetch per interval" guarantee wanted here anyway.
 */
function createKeySet(
  jwksUrl: string,
  options: JwtVerifierOptions,
  clock: Clock,
): (header: TokenHeader) => Promise<string | KeyObject> {
  const timeoutMs = options.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS;
  const refetchIntervalMs = options.jwksRefetchIntervalSeconds * 1000;
  const maxAgeMs = (options.jwksMaxAgeSeconds ?? DEFAULT_JWKS_MAX_AGE_SECONDS) * 1000;
  let keys = new Map<string, PublishedKey>();
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastSuccessAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    if (inflight) return inflight;
    lastAttemptAt = clock.now();
    inflight = fetchKeySet(jwksUrl, timeoutMs)
      .then((next) => {
        keys = next;
        lastSuccessAt = clock.now();
      })
      .catch(() => undefined)
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const mayRefetch = (): boolean => clock.now() - lastAttemptAt >= refetchIntervalMs;

  return async (header) => {
    const kid = header.kid as string;
    const stale = (): boolean => clock.now() - lastSuccessAt >= maxAgeMs;
    // Only a kid we cannot vouch for waits on a refresh in flight: a forged kid must not slow known keys.
    if (inflight && (stale() || !keys.has(kid))) await inflight;
    if ((stale() || !keys.has(kid)) && mayRefetch()) {
      await refresh();
    }
    const key = keys.get(kid);
    // Never loaded: no token can be judged, valid or not. Say so (503) rather than blame the caller.
    if (!key && lastSuccessAt === Number.NEGATIVE_INFINITY)
      throw new UpstreamUnavailableError(KEYS_UNAVAILABLE, 'token-keys');
    if (!key) return fail();
    if (key.alg !== undefined && key.alg !== header.alg) return fail();
    if (!key.usableFor.includes(header.alg)) return fail();
    return key.key;
  };
}

async function fetchKeySet(jwksUrl: string, timeoutMs: number): Promise<Map<string, PublishedKey>> {
  const response = await fetch(jwksUrl, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  const body = await response.json();
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('JWKS has no keys array');
  const next = new Map<string, PublishedKey>();
  for (const entry of list as unknown[]) {
    const published = importPublishedKey(entry);
    if (published) next.set(published.kid, published.key);
  }
  if (next.size === 0) throw new Error('JWKS has no usable signing keys');
  return next;
}

/** Only public signing keys with a sane kid; anything else in the set is skipped, not trusted. */
function importPublishedKey(entry: unknown): { kid: string; key: PublishedKey } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const jwk = entry as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || !KID_PATTERN.test(jwk.kid)) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return undefined;
  if ('d' in jwk) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  return {
    kid: jwk.kid,
    key: {
      key,
      usableFor: algorithmsOfKey(key),
      ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
    },
  };
}

function algorithmsOfKey(key: KeyObject): readonly JwtAlgorithm[] {
  if (key.asymmetricKeyType === 'rsa') return ['RS256'];
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return ['ES256'];
  return [];
}

/** The HS256 secret, loaded lazily and kept for a while so a rotated secret is eventually picked up. */
function createSecretSource(secret: string | (() => Promise<string>), clock: Clock): () => Promise<string> {
  if (typeof secret === 'string') return () => Promise.resolve(secret);
  const maxAgeMs = SECRET_MAX_AGE_SECONDS * 1000;
  let cached: { value: string; loadedAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  return async () => {
    if (cached && clock.now() - cached.loadedAt < maxAgeMs) return cached.value;
    inflight ??= secret()
      .then((value) => {
        if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) throw new Error('secret too short');
        cached = { value, loadedAt: clock.now() };
        return value;
      })
      .finally(() => {
        inflight = undefined;
      });
    try {
      return await inflight;
    } catch {
      // A stale secret beats locking every caller out while the secret store is unreachable.
      if (cached) return cached.value;
      throw new UpstreamUnavailableError(KEYS_UNAVAILABLE, 'signing-secret');
    }
  };
}
