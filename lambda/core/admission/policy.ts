/**
 * Admission of the vend path: the caller limit (a rate limit per caller) and the stream share (each
 * caller's fair share of a per-stream limit kept below the KVS session-URL quota). The session cap
 * counts the session log's records (`lambda/core/sessions.ts`).
 * Pure: the shared state lives behind the `RateLimiter` and `ActivityTracker` ports
 * (DynamoDB in AWS and in the local stack), so every Lambda instance sees the same buckets.
 */
import { RateLimitedError } from '../errors';
import type { Caller } from '../model';
import type { Clock } from '../ports';
import { assertValidRateLimit, type RateDecision, type RateLimit } from './gcra';
import type { ActivityTracker, RateLimiter } from './ports';
import { MAX_TRACKED_CALLERS } from './pruned-sets';

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
 * The caller limit of a request: the most generous limit among the grants that allow it (the same rule as
 * the session expiry, which takes the largest maximum), where a grant without `callerLimit` gives the
 * default: a stingy limit on one grant (a group's) never lowers what another allowing grant gives. No
 * grant (a request not tied to grants): the default. Most generous: the higher rate, then the larger burst.
 */
export function effectiveCallerLimit(grants: readonly CallerLimitedGrant[], fallback: RateLimit): RateLimit {
  let best: RateLimit | undefined;
  for (const grant of grants) {
    const limit = grant.callerLimit ?? fallback;
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
   * GetHLS/DASHStreamingSessionURL calls per second per stream. A limit lets `burst + ratePerSecond` through
   * in any one second, so the default 20/s with a burst of 5 never exceeds 25 in a second.
   */
  readonly streamLimit: RateLimit;
  /** A principal that asked for a stream within this window counts as waiting for it. */
  readonly streamShareWindowMs: number;
  /** The clock of the deadline. */
  readonly clock: Clock;
  /**
   * How long one admission may wait for its shared state, every operation and retry together
   * (`ADMISSION_TIMEOUT_MS`); past it the request fails closed (AdmissionUnavailableError, 503).
   */
  readonly timeoutMs: number;
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
 * The smallest burst of a share. A share's rate is the stream's divided among the principals waiting, so
 * their shares add up to the stream exactly; with a burst of 1 (no tolerance) every moment a caller comes
 * back late (Retry-After is in whole seconds, and a request takes time) is lost for good, and the stream
 * would be used below its limit by however late its callers are. A burst of 2 lets a caller that comes back
 * up to one interval late take its place still; the long-run rate of a share stays `rate / n`, and the
 * stream limit still caps what all shares take at once.
 */
export const MIN_SHARE_BURST = 2;

/**
 * How far ahead a stream limit's queue reaches (`RateLimit.maxQueueSeconds`). Every caller of a stream shares
 * that queue, and a refused caller that never comes back keeps its place: with the default 60 s, a crowd of
 * one-shot callers (a flash crowd that gives up, or many identities asking once each) had a newcomer told
 * 60 s while a retry 300 ms later was admitted. Within their own limits, callers keep the default.
 */
export const STREAM_QUEUE_SECONDS = 10;

/** How long give-backs may take past the admission's deadline. */
export const GIVE_BACK_GRACE_MS = 1_000;

/** A refusal's wait in milliseconds: its own, or its whole seconds where the limiter gave none. */
export const waitMs = (decision: RateDecision): number =>
  decision.retryAfterMs ?? decision.retryAfterSeconds * 1000;

/** One limit a request is checked against, and what it answered. */
interface Check {
  readonly key: string;
  readonly limit: RateLimit;
  /** Named in the refusal: "Too many requests for this caller / this caller's share of this stream / this stream". */
  readonly what: string;
}

interface Taken extends Check {
  readonly decision: RateDecision;
}

/**
 * Admission of one vend, in two steps of checks that run at the same time:
 *
 * 1. the caller's own limit (`caller#<principal>`) and its share of the stream
 *    (`stream#<name>#<principal>`): with `n` principals asking for the stream within the stream share
 *    window, each gets `rate / n` per second and a burst of `max(2, burst / n)` (MIN_SHARE_BURST), never
 *    more than the stream's; alone, a principal's share is the whole stream;
 * 2. once both allow it, the stream limit itself (`stream#<name>`).
 *
 * A refusal gives back what the other checks of the request took, so a refused request costs nothing. A
 * caller this instance last saw beyond its own limit (`RateLimiter.expectsRefusal`) is checked alone before
 * its share: refused, it has taken nothing and touched nothing shared; allowed, the share follows. The
 * stream limit is taken only by requests within their caller limit and share: a greedy caller is refused by
 * its own keys and never holds the stream's room, not even for the moment a give-back takes, so the share
 * protects the stream for the others. Refused requests count as activity: a principal being refused is
 * exactly the one waiting for its part. The refusal's `Retry-After` is the longest of the refusing checks.
 */
export function createAdmission(options: AdmissionOptions): Admission {
  assertValidRateLimit(options.callerLimit);
  assertValidRateLimit(options.streamLimit);
  if (!(options.streamShareWindowMs > 0)) throw new RangeError('streamShareWindowMs must be positive');
  if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  const { limiter, streamLimit: stream } = options;

  const take = async (check: Check, deadline: number): Promise<Taken> => ({
    ...check,
    decision: await limiter.take(check.key, check.limit, deadline),
  });

  /** Settles checks run together: every one allowed, or what they took given back and the refusal thrown. */
  const all = async (checks: readonly Promise<Taken>[], deadline: number): Promise<Taken[]> => {
    const settled = await Promise.allSettled(checks);
    const allowed = settled.flatMap((result) =>
      result.status === 'fulfilled' && result.value.decision.allowed ? [result.value] : [],
    );
    const failure = settled.find((result) => result.status === 'rejected');
    const refused = settled.flatMap((result) =>
      result.status === 'fulfilled' && !result.value.decision.allowed ? [result.value] : [],
    );
    if (failure === undefined && refused.length === 0) return allowed;
    await giveBack(allowed, deadline);
    if (failure) throw failure.reason;
    const retryAfterSeconds = Math.max(...refused.map((taken) => taken.decision.retryAfterSeconds));
    const retryAfterMs = Math.max(...refused.map((taken) => waitMs(taken.decision)));
    throw new RateLimitedError(
      `Too many requests for ${refused[0]!.what}; retry later.`,
      retryAfterSeconds,
      retryAfterMs,
    );
  };

  const giveBack = async (taken: readonly Check[], deadline: number): Promise<void> => {
    // A refusal that came at the deadline still gives back what it took, within a short grace. Best
    // effort: a give-back that fails leaves the limit stricter for a moment, never looser.
    const until = Math.max(deadline, options.clock.now() + GIVE_BACK_GRACE_MS);
    await Promise.all(
      taken.map((check) => limiter.giveBack(check.key, check.limit, until).catch(() => undefined)),
    );
  };

  return {
    async admit(request: AdmissionRequest): Promise<void> {
      const deadline = options.clock.now() + options.timeoutMs;
      const principal = callerKey(request.caller);
      const own: Check = {
        key: admissionKeys.caller(principal),
        limit: effectiveCallerLimit(request.grants ?? [], options.callerLimit),
        what: 'this caller',
      };
      // Alone on the stream, a principal's share is the stream limit itself, and it is still taken: a lone
      // caller over its share is refused by its own share key and queued there, so its refusals never fill
      // the stream's queue, and a caller who arrives next is not told to wait behind them.
      const share = (): Promise<Taken> =>
        options.activity
          .touch(
            admissionKeys.streamActivity(request.streamName),
            principal,
            options.streamShareWindowMs,
            deadline,
          )
          .then((active) => {
            const waiting = Math.min(Math.max(1, active), MAX_TRACKED_CALLERS);
            const check: Check = {
              key: admissionKeys.streamShare(request.streamName, principal),
              limit: {
                ratePerSecond: stream.ratePerSecond / waiting,
                // Never more than the stream's own burst: a lone caller's share is the stream limit.
                burst: Math.min(stream.burst, Math.max(MIN_SHARE_BURST, stream.burst / waiting)),
              },
              what: "this caller's share of this stream",
            };
            return take(check, deadline);
          });
      // A caller this instance last saw beyond its own limit is checked alone first: a refusal then costs
      // one write, and the share it would have taken and given back is left alone for the others.
      const ownFirst = limiter.expectsRefusal?.(own.key, own.limit) ?? false;
      let taken: Taken[] = ownFirst ? await all([take(own, deadline)], deadline) : [];
      try {
        taken = [...taken, ...(await all(ownFirst ? [share()] : [take(own, deadline), share()], deadline))];
        await all(
          [
            take(
              {
                key: admissionKeys.stream(request.streamName),
                limit: { ...stream, maxQueueSeconds: STREAM_QUEUE_SECONDS },
                what: 'this stream',
              },
              deadline,
            ),
          ],
          deadline,
        );
      } catch (error) {
        await giveBack(taken, deadline);
        throw error;
      }
    },
  };
}
