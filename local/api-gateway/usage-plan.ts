export interface UsagePlan {
  /** Steady requests per second (token bucket refill rate). */
  rateLimit: number;
  /** Bucket size: how many requests may arrive at once. */
  burstLimit: number;
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
}

export interface LocalPartner {
  /** What the Lambda sees as `requestContext.identity.apiKeyId` (principal `partner:<apiKeyId>`). */
  apiKeyId: string;
  name?: string;
  /** The secret value callers send in `x-api-key`. */
  apiKey: string;
  usagePlan: UsagePlan;
}

/**
 * A token bucket as API Gateway throttles: it holds up to `burstLimit` tokens, refilled at `rateLimit` per
 * second; a request takes one, and none left means throttled. Time comes from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: { readonly rateLimit: number; readonly burstLimit: number },
    private readonly now: () => number,
  ) {
    this.tokens = limit.burstLimit;
    this.updatedAt = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.limit.burstLimit, this.tokens + elapsedSeconds * this.limit.rateLimit);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type UsageVerdict = 'allowed' | 'throttled' | 'quota-exceeded';

const DAY_MS = 86_400_000;

/**
 * API Gateway usage plans for the local stack: a token bucket per key (rate + burst) and a request quota
 * per calendar period (UTC). Time comes from the injected clock so tests do not depend on speed.
 */
export class UsagePlanMeter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotas = new Map<string, { window: string; used: number }>();

  constructor(private readonly now: () => number) {}

  consume(partner: LocalPartner): UsageVerdict {
    const plan = partner.usagePlan;
    const now = this.now();
    let bucket = this.buckets.get(partner.apiKeyId);
    if (!bucket) {
      bucket = new TokenBucket(plan, this.now);
      this.buckets.set(partner.apiKeyId, bucket);
    }
    if (!bucket.take()) return 'throttled';

    if (plan.quota) {
      const window = quotaWindow(now, plan.quota.period);
      const usage = this.quotas.get(partner.apiKeyId);
      const used = usage && usage.window === window ? usage.used : 0;
      if (used >= plan.quota.limit) return 'quota-exceeded';
      this.quotas.set(partner.apiKeyId, { window, used: used + 1 });
    }
    return 'allowed';
  }
}

function quotaWindow(now: number, period: 'DAY' | 'WEEK' | 'MONTH'): string {
  const date = new Date(now);
  switch (period) {
    case 'DAY':
      return String(Math.floor(now / DAY_MS));
    case 'WEEK':
      // Weeks start on Monday, as API Gateway counts them.
      return String(Math.floor((now / DAY_MS + 3) / 7));
    case 'MONTH':
      return `${date.getUTCFullYear()}-${date.getUTCMonth()}`;
  }
}
