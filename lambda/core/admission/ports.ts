/**
 * The ports of admission: the shared state it needs, every instance of the function seeing the same
 * (the admission table in AWS and in the local stack). Every operation gets the deadline of the
 * admission it belongs to (epoch ms): a store still answering then is given up on.
 */
import { UpstreamUnavailableError } from '../errors';
import type { RateDecision, RateLimit } from './gcra';

/** A rate limit per key, shared by every instance of the function. */
export interface RateLimiter {
  /**
   * Takes room for one request under `limit` at `key`: allowed, or refused with the `Retry-After` of a
   * place in the key's queue. Throws AdmissionUnavailableError when the store fails or the deadline passes.
   */
  take(key: string, limit: RateLimit, deadline: number): Promise<RateDecision>;
  /**
   * Whether this instance expects `take` to refuse now, from what it last saw of the key (no request is
   * made). Advice only: the take decides. A limiter that keeps nothing answers false.
   */
  expectsRefusal?(key: string, limit: RateLimit): boolean;
  /** Gives back a take that was allowed, when another check of the same request refused it. */
  giveBack(key: string, limit: RateLimit, deadline: number): Promise<void>;
}

/** Who has been asking for something recently. */
export interface ActivityTracker {
  /**
   * Records that `member` is active under `key` now and resolves to the number of distinct members
   * active within the last `windowMs` (this one included, so at least 1).
   */
  touch(key: string, member: string, windowMs: number, deadline: number): Promise<number>;
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
