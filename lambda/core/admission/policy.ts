/**
 * Admission of the vend path: the caller limit (a token bucket per caller) and the stream share (each
 * caller's fair share of a per-stream bucket kept below the KVS session-URL quota). The session cap
 * counts the session log's records (`lambda/core/sessions.ts`).
 * Pure: the shared state lives behind the `RateLimiter` and `ActivityTracker` ports
 * (DynamoDB in AWS and in the local stack), so every Lambda instance sees the same buckets.
 */
import { RateLimitedError } from '../errors';
import type { Caller } from '../model';
import type { ActivityTracker, RateLimiter } from './ports';
import { MAX_TRACKED_CALLERS } from './pruned-sets';
import { assertValidRateLimit, type RateDecision, type RateLimit } from './token-bucket';

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
} as const;

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

      const waiting = Math.min(Math.max(1, active), MAX_TRACKED_CALLERS);
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
