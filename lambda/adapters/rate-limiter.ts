import {
  recordActivity,
  secondsUntilFull,
  takeToken,
  type ActivityTracker,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type TokenBucketState,
} from '../core/admission';
import { boundedKey, type AdmissionTable, type ItemState } from './admission-table';

export interface DynamoDbRateLimiterOptions {
  table: AdmissionTable;
  /** Every conditional write lost the race for `key` (the request was refused). */
  onContention?: (key: string) => void;
}

/**
 * Token buckets in DynamoDB, one item per key, shared by every instance of the function. A refused
 * request writes nothing. When every attempt loses the race for a key (many instances on one hot
 * key at once) the request is refused with a one-second `Retry-After`: the limit protects something
 * downstream, so doubt is resolved against admission.
 */
export function createDynamoDbRateLimiter(options: DynamoDbRateLimiterOptions): RateLimiter {
  const { table } = options;
  return {
    async take(key: string, limit: RateLimit): Promise<RateDecision> {
      const outcome = await table.update<RateDecision>(key, (state, now) => {
        const taken = takeToken(toBucket(state), limit, now);
        const decision = { allowed: taken.allowed, retryAfterSeconds: taken.retryAfterSeconds };
        if (!taken.allowed) return { result: decision };
        const expiresAt = now + secondsUntilFull(taken.next, limit, now) * 1000;
        return { result: decision, write: { state: { ...taken.next }, expiresAt } };
      });
      if (outcome.settled) return outcome.result;
      options.onContention?.(key);
      return { allowed: false, retryAfterSeconds: 1 };
    },
  };
}

function toBucket(state: ItemState | undefined): TokenBucketState | undefined {
  if (!state) return undefined;
  const { tokens, refilledAt } = state;
  // An item of another shape under this key is treated as a fresh bucket rather than trusted.
  if (typeof tokens !== 'number' || typeof refilledAt !== 'number') return undefined;
  return { tokens, refilledAt };
}

export interface DynamoDbActivityTrackerOptions {
  table: AdmissionTable;
  /** Members remembered per key at most. Default 200. */
  maxMembers?: number;
}

/**
 * Who asked for a key recently: one item per key holding member → last seen, pruned on every write.
 * A member seen less than a quarter of the window ago is not written again, which keeps the write
 * rate of a busy stream's item near (members × 4 / window) instead of one write per request.
 */
export function createDynamoDbActivityTracker(options: DynamoDbActivityTrackerOptions): ActivityTracker {
  const maxMembers = options.maxMembers ?? 200;
  return {
    async touch(key: string, member: string, windowMs: number): Promise<number> {
      const name = boundedKey(member, 256);
      const outcome = await options.table.update<number>(key, (state, now) => {
        const seen = toSeen(state);
        const last = seen[name];
        if (last !== undefined && now - last < windowMs / 4 && last <= now) {
          const count = Object.values(seen).filter((at) => now - at < windowMs).length;
          return { result: Math.max(1, count) };
        }
        const recorded = recordActivity(seen, name, now, windowMs, maxMembers);
        return {
          result: recorded.count,
          write: { state: { seen: recorded.next }, expiresAt: now + windowMs },
        };
      });
      // Losing every race still leaves a count read a moment ago: good enough to size a share.
      return outcome.settled ? outcome.result : outcome.last;
    },
  };
}

function toSeen(state: ItemState | undefined): Record<string, number> {
  const seen = state?.seen;
  if (!seen || typeof seen !== 'object') return {};
  return Object.fromEntries(
    Object.entries(seen as Record<string, unknown>).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number',
    ),
  );
}
