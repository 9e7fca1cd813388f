import {
  admissionKeys,
  createAdmission,
  effectiveCallerLimit,
  recordActivity,
  secondsUntilFull,
  takeToken,
  type ActivityTracker,
  type AdmissionOptions,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type TokenBucketState,
} from '../../lambda/core/admission';
import { RateLimitedError } from '../../lambda/core/errors';
import { FakeClock } from './support/admission-table';
import { admitOn, peakPerSecond, simulate, user } from './support/simulation';

const NOW = 1_800_000_000_000;

/** Plain in-memory implementations of the ports over the same arithmetic the DynamoDB adapters use. */
class MemoryLimiter implements RateLimiter {
  readonly buckets = new Map<string, TokenBucketState>();
  readonly calls: string[] = [];
  constructor(private readonly clock: FakeClock) {}
  take(key: string, limit: RateLimit): Promise<RateDecision> {
    this.calls.push(key);
    const outcome = takeToken(this.buckets.get(key), limit, this.clock.now());
    if (outcome.allowed) this.buckets.set(key, outcome.next);
    return Promise.resolve({ allowed: outcome.allowed, retryAfterSeconds: outcome.retryAfterSeconds });
  }
}

class MemoryActivity implements ActivityTracker {
  private readonly seen = new Map<string, Readonly<Record<string, number>>>();
  constructor(private readonly clock: FakeClock) {}
  touch(key: string, member: string, windowMs: number): Promise<number> {
    const outcome = recordActivity(this.seen.get(key) ?? {}, member, this.clock.now(), windowMs, 200);
    this.seen.set(key, outcome.next);
    return Promise.resolve(outcome.count);
  }
}

describe('token bucket arithmetic', () => {
  const limit: RateLimit = { ratePerSecond: 4, burst: 2 };

  it('starts a new bucket full and takes one token', () => {
    expect(takeToken(undefined, limit, NOW)).toEqual({
      allowed: true,
      retryAfterSeconds: 0,
      next: { tokens: 1, refilledAt: NOW },
    });
  });

  it('refills in proportion to the elapsed time, never above the burst', () => {
    expect(takeToken({ tokens: 0, refilledAt: NOW }, limit, NOW + 250).next).toEqual({
      tokens: 0,
      refilledAt: NOW + 250,
    });
    expect(takeToken({ tokens: 0, refilledAt: NOW }, limit, NOW + 60_000).next.tokens).toBe(1);
  });

  it('refuses below one token, with a whole-second Retry-After of at least 1', () => {
    expect(takeToken({ tokens: 0.5, refilledAt: NOW }, limit, NOW)).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1,
    });
    const slow = { ratePerSecond: 0.1, burst: 1 };
    expect(takeToken({ tokens: 0, refilledAt: NOW }, slow, NOW)).toMatchObject({
      allowed: false,
      retryAfterSeconds: 10,
    });
    expect(takeToken({ tokens: 0.55, refilledAt: NOW }, slow, NOW)).toMatchObject({
      allowed: false,
      retryAfterSeconds: 5,
    });
  });

  it('does not lose a whole token to floating-point refill', () => {
    const tenth: RateLimit = { ratePerSecond: 10, burst: 1 };
    let state: TokenBucketState = { tokens: 0, refilledAt: NOW };
    for (let step = 1; step <= 9; step += 1) {
      const outcome = takeToken(state, tenth, NOW + step * 10);
      expect(outcome.allowed).toBe(false);
      state = outcome.next;
    }
    // Ten refills of 0.1 add up to a hair under 1.0 in binary floating point.
    expect(takeToken(state, tenth, NOW + 100).allowed).toBe(true);
  });

  it('adds nothing for a refill time in the future (another clock ahead)', () => {
    const outcome = takeToken({ tokens: 0, refilledAt: NOW + 5_000 }, limit, NOW);
    expect(outcome).toMatchObject({ allowed: false, next: { tokens: 0, refilledAt: NOW + 5_000 } });
  });

  it('clamps a stored bucket to a burst that was lowered since', () => {
    expect(takeToken({ tokens: 50, refilledAt: NOW }, limit, NOW).next.tokens).toBe(1);
  });

  it('knows when an idle bucket is full again', () => {
    expect(secondsUntilFull({ tokens: 0, refilledAt: NOW }, limit, NOW)).toBe(0.5);
    expect(secondsUntilFull({ tokens: 2, refilledAt: NOW }, limit, NOW)).toBe(0);
  });

  it.each([
    [{ ratePerSecond: 0, burst: 1 }],
    [{ ratePerSecond: -1, burst: 1 }],
    [{ ratePerSecond: Number.NaN, burst: 1 }],
    [{ ratePerSecond: 1, burst: 0 }],
    [{ ratePerSecond: 1, burst: Number.POSITIVE_INFINITY }],
  ])('rejects the limit %j', (bad) => {
    expect(() => takeToken(undefined, bad, NOW)).toThrow(RangeError);
  });
});

describe('activity sets', () => {
  it('counts members within the window, this one included, and forgets the idle ones', () => {
    const seen = { 'user:a': NOW - 9_999, 'user:b': NOW - 10_000, 'user:c': NOW - 1 };
    expect(recordActivity(seen, 'user:c', NOW, 10_000, 200)).toEqual({
      count: 2,
      next: { 'user:c': NOW, 'user:a': NOW - 9_999 },
    });
  });

  it('keeps at most the most recent members', () => {
    const seen = { 'user:a': NOW - 3, 'user:b': NOW - 1, 'user:c': NOW - 2 };
    expect(recordActivity(seen, 'user:d', NOW, 10_000, 3)).toEqual({
      count: 3,
      next: { 'user:d': NOW, 'user:b': NOW - 1, 'user:c': NOW - 2 },
    });
  });
});

describe('effective caller limit', () => {
  const fallback = { ratePerSecond: 5, burst: 10 };

  it('uses the default when no grant overrides it', () => {
    expect(effectiveCallerLimit([{}, {}], fallback)).toBe(fallback);
  });

  it('takes the most generous override among the grants that allow the request', () => {
    const grants = [
      { callerLimit: { ratePerSecond: 1, burst: 50 } },
      {},
      { callerLimit: { ratePerSecond: 3, burst: 2 } },
      { callerLimit: { ratePerSecond: 3, burst: 4 } },
    ];
    expect(effectiveCallerLimit(grants, fallback)).toEqual({ ratePerSecond: 3, burst: 4 });
  });

  it('lets an override be stricter than the default', () => {
    expect(effectiveCallerLimit([{ callerLimit: { ratePerSecond: 0.5, burst: 1 } }], fallback)).toEqual({
      ratePerSecond: 0.5,
      burst: 1,
    });
  });
});

describe('admission of a vend', () => {
  let clock: FakeClock;
  let limiter: MemoryLimiter;
  let options: AdmissionOptions;

  beforeEach(() => {
    clock = new FakeClock();
    limiter = new MemoryLimiter(clock);
    options = {
      limiter,
      activity: new MemoryActivity(clock),
      callerLimit: { ratePerSecond: 100, burst: 100 },
      streamLimit: { ratePerSecond: 20, burst: 5 },
      streamShareWindowMs: 10_000,
    };
  });

  it('checks the caller, then its share of the stream, then the stream', async () => {
    await createAdmission(options).admit({ caller: user('alice'), streamName: 'front-door' });

    expect(limiter.calls).toEqual([
      admissionKeys.caller('user:alice'),
      admissionKeys.streamShare('front-door', 'user:alice'),
      admissionKeys.stream('front-door'),
    ]);
    expect(limiter.calls).toEqual(['caller#user:alice', 'stream#front-door#user:alice', 'stream#front-door']);
  });

  it('keys partners by their API key id and never by a group', async () => {
    const partner = { kind: 'partner' as const, id: 'key-1', principals: ['partner:key-1'] };
    const member = { kind: 'user' as const, id: 'bob', principals: ['user:bob', 'group:security'] };

    await createAdmission(options).admit({ caller: partner, streamName: 'front-door' });
    await createAdmission(options).admit({ caller: member, streamName: 'front-door' });

    expect(limiter.calls.filter((key) => key.startsWith('caller#'))).toEqual([
      'caller#partner:key-1',
      'caller#user:bob',
    ]);
  });

  it('refuses an over-eager caller with 429 and Retry-After before it spends anything shared', async () => {
    const admission = createAdmission({ ...options, callerLimit: { ratePerSecond: 0.5, burst: 2 } });
    const alice = user('alice');
    await admission.admit({ caller: alice, streamName: 'front-door' });
    await admission.admit({ caller: alice, streamName: 'backyard' });
    limiter.calls.length = 0;

    const refused = admission.admit({ caller: alice, streamName: 'garage' });

    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 2, code: 'RATE_LIMITED' });
    expect(limiter.calls).toEqual(['caller#user:alice']);
  });

  it('applies the per-grant override of the caller limit', async () => {
    const admission = createAdmission({ ...options, callerLimit: { ratePerSecond: 0.1, burst: 1 } });
    const partner = { kind: 'partner' as const, id: 'big', principals: ['partner:big'] };
    const grants = [{ callerLimit: { ratePerSecond: 50, burst: 3 } }];

    for (let i = 0; i < 3; i += 1) await admission.admit({ caller: partner, streamName: `s${i}`, grants });

    await expect(admission.admit({ caller: partner, streamName: 's9', grants })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
  });

  it('never lets one stream go above the KVS quota of 25 session URLs per second', async () => {
    const callers = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ caller: user(id), perSecond: 30 }));

    const result = await simulate(admitOn(createAdmission(options), 'front-door'), clock, callers, 10_000);

    expect(peakPerSecond(result)).toBeLessThanOrEqual(25);
    expect(result.refusalsWithoutRetryAfter).toBe(0);
  });

  it('does not let a greedy principal starve a modest one (fair share)', async () => {
    const greedy = user('greedy');
    const modest = user('modest');

    const result = await simulate(
      admitOn(createAdmission(options), 'front-door'),
      clock,
      [
        { caller: greedy, perSecond: 100 },
        { caller: modest, perSecond: 5 },
      ],
      10_000,
    );

    // Two principals waiting: 10/s each. The modest one asks for less than its part and gets it all.
    expect(result.admitted.get('modest')).toHaveLength(result.requested.get('modest')!);
    const greedyAdmitted = result.admitted.get('greedy')!.length;
    expect(greedyAdmitted).toBeLessThanOrEqual(10 * 10 + 5);
    expect(greedyAdmitted).toBeGreaterThanOrEqual(10 * 10 - 5);
  });

  it('splits the stream evenly between principals that all want more than it has', async () => {
    const callers = ['a', 'b', 'c', 'd'].map((id) => ({ caller: user(id), perSecond: 50 }));

    const result = await simulate(admitOn(createAdmission(options), 'front-door'), clock, callers, 10_000);

    const counts = [...result.admitted.values()].map((times) => times.length);
    // 20/s over four principals for ten seconds: about 50 each, none far ahead of the others.
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(5);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(45);
  });

  it('gives a principal alone on a stream the whole stream', async () => {
    const result = await simulate(
      admitOn(createAdmission(options), 'front-door'),
      clock,
      [{ caller: user('solo'), perSecond: 100 }],
      10_000,
    );

    expect(result.admitted.get('solo')!.length).toBeGreaterThanOrEqual(20 * 10);
  });

  it('would starve the modest principal with a stream bucket alone (the simulation can tell)', async () => {
    const streamOnly = (caller: { id: string }) =>
      limiter.take(admissionKeys.stream('front-door'), options.streamLimit).then((decision) => {
        if (!decision.allowed) throw new RateLimitedError(`refused ${caller.id}`, decision.retryAfterSeconds);
      });

    const result = await simulate(
      streamOnly,
      clock,
      [
        { caller: user('greedy'), perSecond: 100 },
        { caller: user('modest'), perSecond: 5 },
      ],
      10_000,
    );

    expect(result.admitted.get('modest')!.length).toBeLessThan(result.requested.get('modest')! / 2);
  });

  it('restores the whole stream to a principal once the others have been idle for the window', async () => {
    const admission = createAdmission(options);
    await simulate(
      admitOn(admission, 'front-door'),
      clock,
      [
        { caller: user('early'), perSecond: 50 },
        { caller: user('late'), perSecond: 50 },
      ],
      2_000,
    );
    clock.advance(10_000);

    const result = await simulate(
      admitOn(admission, 'front-door'),
      clock,
      [{ caller: user('late'), perSecond: 50 }],
      5_000,
    );

    expect(result.admitted.get('late')!.length).toBeGreaterThanOrEqual(20 * 5);
  });

  it('rejects nonsensical settings at construction', () => {
    expect(() => createAdmission({ ...options, streamLimit: { ratePerSecond: 0, burst: 5 } })).toThrow(
      RangeError,
    );
    expect(() => createAdmission({ ...options, streamShareWindowMs: 0 })).toThrow(RangeError);
  });
});
