import { ApiError, type ErrorDetail } from '../contract';

/**
 * Domain errors. Each has a stable `code` of the HTTP contract, whose table (`ERROR_STATUS` in
 * `lambda/contract/errors.ts`) gives its HTTP status. Messages are safe to show a caller: they never hold
 * a token, a URL or an upstream error body. Errors of HTTP alone (no such route, wrong method, body too
 * large or not JSON) are the function's: `lambda/vend/http-errors.ts`.
 */
export abstract class DomainError extends ApiError {}

export type ValidationDetail = ErrorDetail;

export class InvalidRequestError extends DomainError {
  readonly code = 'INVALID_REQUEST';
  constructor(
    message: string,
    readonly details: readonly ValidationDetail[] = [],
  ) {
    super(message);
  }
}

/**
 * Why a caller is not authenticated, for the `WWW-Authenticate` challenge (RFC 6750 §3) only: the body
 * stays one generic message. `missing`: no credentials of the route's kind at all; `expired`: a token
 * that is valid in every other respect but past its `exp`; `invalid`: anything else.
 */
export type UnauthenticatedReason = 'missing' | 'invalid' | 'expired';

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    message: string,
    readonly reason: UnauthenticatedReason = 'invalid',
    /** The credentials the route takes: a bearer token (users) or an API key (partners). */
    readonly scheme: 'Bearer' | 'ApiKey' = 'Bearer',
  ) {
    super(message);
  }
}

/**
 * A token whose signature, issuer, audience and lifetime hold but whose `exp` has passed. It carries the
 * verified claims so that the caller's claims are checked too (`callerFromClaims`) before the challenge
 * says "expired": a token that would be refused for another reason once refreshed is "invalid".
 */
export class ExpiredTokenError extends UnauthenticatedError {
  constructor(
    message: string,
    readonly claims: Readonly<Record<string, unknown>>,
  ) {
    super(message, 'expired');
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'No grant allows this playback.') {
    super(message);
  }
}

export class StreamNotFoundError extends DomainError {
  readonly code = 'STREAM_NOT_FOUND';
  constructor(message = 'The stream does not exist or is not active.') {
    super(message);
  }
}

export class NoMediaError extends DomainError {
  readonly code = 'NO_MEDIA';
  constructor(message = 'The stream has no media for this request (offline, or nothing in the window).') {
    super(message);
  }
}

export class StreamNotPlayableError extends DomainError {
  readonly code = 'STREAM_NOT_PLAYABLE';
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** The same wait to the millisecond, when the limit knows it (`Retry-After-Ms`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** KVS refused our own request (e.g. NotAuthorizedException: the function's role lacks access). */
export class UpstreamError extends DomainError {
  readonly code = 'UPSTREAM_ERROR';
}

/**
 * The dependencies a vend waits on, as the audit line of a 503 or 504 names them (`dependency`), so that an
 * operator can tell which one failed or missed its deadline: the identity provider's key set (`token-keys`),
 * the HS256 secret (`signing-secret`), the grants table (`grants`), the admission table's limits
 * (`admission`) and session cap (`sessions`), Kinesis Video Streams (`kvs`). The fleet's endpoint cache is
 * not one: it fails open to KVS and never refuses a vend. Stable values: dashboards and alarms key on them.
 */
export const DEPENDENCIES = [
  'token-keys',
  'signing-secret',
  'grants',
  'admission',
  'sessions',
  'kvs',
] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** KVS, the grants store or the key set is down. */
export class UpstreamUnavailableError extends DomainError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  constructor(
    message: string,
    /** Which dependency, for the audit line only (never the body). Set where it is known. */
    public dependency?: Dependency,
  ) {
    super(message);
  }
}

export class UpstreamTimeoutError extends DomainError {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(
    message: string,
    /** Which dependency, for the audit line only (never the body). Set where it is known. */
    public dependency?: Dependency,
  ) {
    super(message);
  }
}

/**
 * A rejection handler that names `dependency` on an upstream failure that names none yet (an adapter that
 * knows better has named it already) and rethrows every error as it was.
 */
export function failureOf(dependency: Dependency): (error: unknown) => never {
  return (error: unknown) => {
    if (
      (error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError) &&
      error.dependency === undefined
    ) {
      error.dependency = dependency;
    }
    throw error;
  };
}
