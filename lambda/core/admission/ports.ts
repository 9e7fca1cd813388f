/**
 * The ports of admission: the shared state it needs, every instance of the function seeing the same
 * (the admission table in AWS and in the local stack).
 */
import { UpstreamUnavailableError } from '../errors';
import type { RateDecision, RateLimit } from './token-bucket';

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

/**
 * The admission table failed or timed out. It is an UpstreamUnavailableError so that, left
 * alone, it maps to 503 (fail closed); a caller that prefers to fail open catches this class.
 */
export class AdmissionUnavailableError extends UpstreamUnavailableError {
  constructor(message = 'The admission table is unavailable.') {
    super(message);
  }
}
