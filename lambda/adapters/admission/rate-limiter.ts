import {
  secondsUntilFull,
  takeToken,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type TokenBucketState,
} from '../../core/admission';
import type { AdmissionTable, ItemState } from './admission-table';

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
