/**
 * Token bucket arithmetic, shared by every RateLimiter implementation: pure functions of a stored state, a
 * limit and the time.
 */

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
