/**
 * Admission of the vend path: the caller limit (a token bucket per caller), the stream share (each
 * caller's fair share of a per-stream bucket kept below the KVS session-URL quota), and an optional
 * session cap.
 * Pure: the shared state lives behind the `RateLimiter`, `ActivityTracker` and `SessionCounter` ports
 * (DynamoDB in AWS and in the local stack), so every Lambda instance sees the same buckets.
 */
import { RateLimitedError, UpstreamUnavailableError } from './errors';
import type { Caller } from './model';

export interface RateLimit {
  /** Sustained rate: tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once after an idle period. */
  readonly burst: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** 0 when allowed; otherwise whole seconds (at least 1) until a token is due, for `Retry-After`. */
  readonly retryAfterSeconds: number;
}

/** A token bucket per key, shared by every instance of the function. */
export interface RateLimiter {
  /** Takes one token from the bucket of `key`. Throws AdmissionUnavailableError when the store fails. */
  take(key: string, limit: RateLimit): Promise<RateDecision>;
}

/** Who has been asking for something recently. */
export interface ActivityTracker {
  /**
   * Records that `member` is active under `key` now and resolves to the number of distinct members
   * active within the last `windowMs` (this one included, so at least 1).
   */
  touch(key: string, member: string, windowMs: number): Promise<number>;
}

/** Live sessions per principal; a session counts until its `expiresAt`. */
export interface SessionCounter {
  /** Opens a session when fewer than `max` are live. `expiresAt` is epoch ms. */
  tryOpen(principal: string, expiresAt: number, max: number): Promise<boolean>;
  /** Gives back a slot opened by `tryOpen` whose vend failed afterwards. */
  release(principal: string, expiresAt: number): Promise<void>;
}

/**
 * The admission table failed or timed out. It is an UpstreamUnavailableError so that, left
 * alone, it maps to 503 (fail closed); a caller that prefers to fail open catches this class.
 */
export class AdmissionUnavailableError extends UpstreamUnavailableError {
  constructor(message = 'The admission table is unavailable.') {
    super(message);
  }
}

/**
 * Keys of the shared state. A principal may contain `#`, yet keys cannot collide: each starts with its
 * kind, and stream names (STREAM_NAME_PATTERN) never contain `#`, so the first `#` after
 * `stream#<name>` always ends the name.
 */
export const admissionKeys = {
  caller: (principal: string) => `caller#${principal}`,
  stream: (streamName: string) => `stream#${streamName}`,
  streamShare: (streamName: string, principal: string) => `stream#${streamName}#${principal}`,
  streamActivity: (streamName: string) => `active#${streamName}`,
  sessions: (principal: string) => `sessions#${principal}`,
} as const;

// ---------------------------------------------------------------------------------------------------
// Token bucket arithmetic, shared by every RateLimiter implementation.

export interface TokenBucketState {
  readonly tokens: number;
  /** Epoch ms of the last refill. */
  readonly refilledAt: number;
}

export interface TokenBucketOutcome extends RateDecision {
  /** State to store. Unchanged (apart from the refill) when the request was refused. */
  readonly next: TokenBucketState;
}

// Refill arithmetic in floating point may land a hair below a whole token.
const EPSILON = 1e-9;

export function assertValidRateLimit(limit: RateLimit): void {
  if (!Number.isFinite(limit.ratePerSecond) || limit.ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${limit.ratePerSecond}`);
  }
  if (!Number.isFinite(limit.burst) || limit.burst < 1) {
    throw new RangeError(`burst must be at least 1, got ${limit.burst}`);
  }
}

/**
 * Refills `state` for the time elapsed until `now`, then takes one token if there is one. A bucket
 * never seen starts full. A stored `refilledAt` in the future (another instance's clock runs ahead)
 * adds nothing rather than going backwards, so clock skew can only make the limit stricter.
 */
export function takeToken(
  state: TokenBucketState | undefined,
  limit: RateLimit,
  now: number,
): TokenBucketOutcome {
  assertValidRateLimit(limit);
  const start = state ?? { tokens: limit.burst, refilledAt: now };
  const elapsedMs = Math.max(0, now - start.refilledAt);
  const refilledAt = Math.max(start.refilledAt, now);
  const tokens = Math.min(
    limit.burst,
    Math.min(start.tokens, limit.burst) + (elapsedMs * limit.ratePerSecond) / 1000,
  );
  if (tokens + EPSILON >= 1) {
    return { allowed: true, retryAfterSeconds: 0, next: { tokens: Math.max(0, tokens - 1), refilledAt } };
  }
  const waitSeconds = (1 - tokens) / limit.ratePerSecond;
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds - EPSILON)),
    next: { tokens, refilledAt },
  };
}

/** Seconds after `now` at which an untouched bucket is full again and its stored item can expire. */
export function secondsUntilFull(state: TokenBucketState, limit: RateLimit, now: number): number {
  const missing = Math.max(0, limit.burst - state.tokens);
  return Math.max(0, state.refilledAt - now) / 1000 + missing / limit.ratePerSecond;
}

// ---------------------------------------------------------------------------------------------------
// Sessions and activity: small sets pruned on every write.

export interface SessionsOutcome {
  readonly opened: boolean;
  /** Live expiries (epoch ms), ascending, to store. */
  readonly next: readonly number[];
}

export function openSession(
  expiries: readonly number[],
  expiresAt: number,
  max: number,
  now: number,
): SessionsOutcome {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  const live = expiries.filter((expiry) => expiry > now).sort((a, b) => a - b);
  if (live.length >= max) return { opened: false, next: live };
  // A session that is already over holds no slot.
  const next = expiresAt > now ? [...live, expiresAt].sort((a, b) => a - b) : live;
  return { opened: true, next };
}

export function releaseSession(
  expiries: readonly number[],
  expiresAt: number,
  now: number,
): readonly number[] {
  const live = expiries.filter((expiry) => expiry > now).sort((a, b) => a - b);
  const index = live.indexOf(expiresAt);
  return index < 0 ? live : [...live.slice(0, index), ...live.slice(index + 1)];
}

export interface ActivityOutcome {
  readonly count: number;
  /** Member → last seen (epoch ms), to store. */
  readonly next: Readonly<Record<string, number>>;
}

/**
 * Marks `member` active now and forgets members idle for `windowMs` or longer. At most `maxMembers`
 * (most recent first) are kept so the stored item stays small; the count then saturates at that bound,
 * which only makes each share smaller.
 */
export function recordActivity(
  seen: Readonly<Record<string, number>>,
  member: string,
  now: number,
  windowMs: number,
  maxMembers: number,
): ActivityOutcome {
  const entries = Object.entries(seen).filter(([name, at]) => name !== member && now - at < windowMs);
  entries.sort((a, b) => b[1] - a[1]);
  const kept = entries.slice(0, Math.max(0, maxMembers - 1));
  const next = Object.fromEntries([[member, now], ...kept]) as Record<string, number>;
  return { count: kept.length + 1, next };
}

// ---------------------------------------------------------------------------------------------------
// The rule the vend path applies.

/** The part of a grant that can override the default caller limit. */
export interface CallerLimitedGrant {
  readonly callerLimit?: RateLimit;
}

/**
 * The caller limit of a request: the most generous `callerLimit` among the grants that allow it
 * (the same rule as the session expiry, which takes the largest maximum), else the default.
 */
export function effectiveCallerLimit(grants: readonly CallerLimitedGrant[], fallback: RateLimit): RateLimit {
  let best: RateLimit | undefined;
  for (const grant of grants) {
    const limit = grant.callerLimit;
    if (!limit) continue;
    if (
      !best ||
      limit.ratePerSecond > best.ratePerSecond ||
      (limit.ratePerSecond === best.ratePerSecond && limit.burst > best.burst)
    ) {
      best = limit;
    }
  }
  return best ?? fallback;
}

export interface AdmissionOptions {
  readonly limiter: RateLimiter;
  readonly activity: ActivityTracker;
  /** The default caller limit (`ADMISSION_CALLER_RATE_PER_SECOND`, `ADMISSION_CALLER_BURST`). */
  readonly callerLimit: RateLimit;
  /**
   * The stream limit, shared out between callers (the stream share) and kept below the KVS quota of 25
   * GetHLS/DASHStreamingSessionURL calls per second per stream. A token bucket lets `burst + ratePerSecond` through in any one second, so the default
   * 20/s with a burst of 5 never exceeds 25 in a second.
   */
  readonly streamLimit: RateLimit;
  /** A principal that asked for a stream within this window counts as waiting for it. */
  readonly streamShareWindowMs: number;
  /** Bound of the principals tracked per stream. Default 200. */
  readonly maxTrackedPrincipals?: number;
}

export interface AdmissionRequest {
  readonly caller: Caller;
  readonly streamName: string;
  /** Grants that allow this request (their `callerLimit` overrides the default). */
  readonly grants?: readonly CallerLimitedGrant[];
}

export interface Admission {
  /** Resolves when the request may go to KVS; throws RateLimitedError (429) or AdmissionUnavailableError. */
  admit(request: AdmissionRequest): Promise<void>;
}

/** The key of the caller in admission: `user:<sub>` or `partner:<apiKeyId>`, never a group. */
export function callerKey(caller: Caller): string {
  return `${caller.kind}:${caller.id}`;
}

/**
 * Admission of one vend, checked in this order:
 *
 * 1. the caller's own bucket (`caller#<principal>`), so an over-eager caller is refused before it
 *    can spend anything shared;
 * 2. the caller's fair share of the stream (`stream#<name>#<principal>`): with `n` principals asking
 *    for the stream within the stream share window, each gets `rate / n` per second and a burst of
 *    `max(1, burst / n)`. Alone, a principal may use the whole stream;
 * 3. the stream bucket (`stream#<name>`) itself.
 *
 * The share is taken before the stream bucket on purpose: a refusal by the stream bucket then costs
 * only the caller's own share, whereas a greedy caller refused by its share never reaches the stream
 * bucket and cannot drain it for the others. Refused requests count as activity: a principal being
 * refused is exactly the one waiting for its part.
 */
export function createAdmission(options: AdmissionOptions): Admission {
  assertValidRateLimit(options.callerLimit);
  assertValidRateLimit(options.streamLimit);
  if (!(options.streamShareWindowMs > 0)) throw new RangeError('streamShareWindowMs must be positive');
  const maxTracked = options.maxTrackedPrincipals ?? 200;
  const stream = options.streamLimit;

  const refuse = (decision: RateDecision, what: string): never => {
    throw new RateLimitedError(`Too many requests for ${what}; retry later.`, decision.retryAfterSeconds);
  };

  return {
    async admit(request: AdmissionRequest): Promise<void> {
      const principal = callerKey(request.caller);
      const limit = effectiveCallerLimit(request.grants ?? [], options.callerLimit);
      const [own, active] = await Promise.all([
        options.limiter.take(admissionKeys.caller(principal), limit),
        options.activity.touch(
          admissionKeys.streamActivity(request.streamName),
          principal,
          options.streamShareWindowMs,
        ),
      ]);
      if (!own.allowed) refuse(own, 'this caller');

      const waiting = Math.min(Math.max(1, active), maxTracked);
      const shareLimit: RateLimit = {
        ratePerSecond: stream.ratePerSecond / waiting,
        burst: Math.max(1, stream.burst / waiting),
      };
      const share = await options.limiter.take(
        admissionKeys.streamShare(request.streamName, principal),
        shareLimit,
      );
      if (!share.allowed) refuse(share, 'this stream');

      const whole = await options.limiter.take(admissionKeys.stream(request.streamName), stream);
      if (!whole.allowed) refuse(whole, 'this stream');
    },
  };
}
