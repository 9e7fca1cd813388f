import fc from 'fast-check';
import {
  MAX_RETRY_AFTER_SECONDS,
  admissionKeys,
  applyGcra,
  createAdmission,
  effectiveCallerLimit,
  gcraStep,
  gcraTimes,
  giveBackGcra,
  recordActivity,
  queueFull,
  retryAfterMs,
  retryAfterSeconds,
  STREAM_QUEUE_SECONDS,
  type ActivityTracker,
  type AdmissionOptions,
  type GcraState,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
} from '../../lambda/core/admission';
import { RateLimitedError, UpstreamUnavailableError } from '../../lambda/core/errors';
import { FakeClock } from './support/admission-table';
import { admitOn, peakPerSecond, simulate, user } from './support/simulation';

const NOW = 1_800_000_000_000;

/** Plain in-memory implementations of the ports over the same arithmetic the DynamoDB adapters use. */
class MemoryLimiter implements RateLimiter {
  readonly states = new Map<string, GcraState>();
  readonly calls: string[] = [];
  readonly givenBack: string[] = [];
  /** Keys whose next take fails as a store would. */
  readonly failing = new Set<string>();
  /** Keys this limiter says it expects to refuse (as the DynamoDB one does from what it last saw). */
  readonly expected = new Set<string>();
  constructor(private readonly clock: FakeClock) {}
  expectsRefusal(key: string): boolean {
    return this.expected.has(key);
  }
  take(key: string, limit: RateLimit): Promise<RateDecision> {
    this.calls.push(key);
    if (this.failing.has(key)) return Promise.reject(new UpstreamUnavailableError('store down'));
    const outcome = applyGcra(this.states.get(key) ?? {}, limit, this.clock.now());
    this.states.set(key, outcome.next);
    return Promise.resolve(outcome.decision);
  }
  giveBack(key: string, limit: RateLimit): Promise<void> {
    this.givenBack.push(key);
    this.states.set(key, giveBackGcra(this.states.get(key) ?? {}, limit));
    return Promise.resolve();
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

/** Takes `count` requests at one instant; the decisions in order. */
function burstAt(state: GcraState, limit: RateLimit, now: number, count: number) {
  const decisions: RateDecision[] = [];
  let current = state;
  for (let index = 0; index < count; index += 1) {
    const outcome = applyGcra(current, limit, now);
    decisions.push(outcome.decision);
    current = outcome.next;
  }
  return { decisions, state: current };
}

describe('GCRA arithmetic', () => {
  const limit: RateLimit = { ratePerSecond: 4, burst: 2 };

  it('takes an unused limit with the idle write: tat = now + T', () => {
    const times = gcraTimes(limit, NOW);
    expect(times).toMatchObject({ intervalMs: 250, idleTat: NOW + 250, latestTat: NOW + 250 });
    expect(gcraStep({}, times)).toBe('take-idle');
    expect(applyGcra({}, limit, NOW)).toEqual({
      decision: { allowed: true, retryAfterSeconds: 0 },
      next: { tat: NOW + 250 },
    });
  });

  it('lets the burst through at one instant, then refuses', () => {
    const { decisions, state } = burstAt({}, limit, NOW, 3);
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(state.tat).toBe(NOW + 500);
  });

  it('chooses the write from the stored state: idle, busy within the tolerance, queue, queue full', () => {
    const times = gcraTimes(limit, NOW);
    expect(gcraStep({ tat: NOW }, times)).toBe('take-idle');
    expect(gcraStep({ tat: NOW + 1 }, times)).toBe('take-busy');
    expect(gcraStep({ tat: NOW + 250 }, times)).toBe('take-busy');
    expect(gcraStep({ tat: NOW + 251 }, times)).toBe('queue-first');
    expect(gcraStep({ tat: NOW + 500, qtat: NOW + 400 }, times)).toBe('queue-first');
    expect(gcraStep({ tat: NOW + 500, qtat: NOW + 750 }, times)).toBe('queue-next');
    expect(gcraStep({ tat: NOW + 500, qtat: times.latestQtat + 1 }, times)).toBe('queue-full');
  });

  it('refills at the rate: one more request every interval', () => {
    const { state } = burstAt({}, limit, NOW, 2);
    expect(applyGcra(state, limit, NOW + 249).decision.allowed).toBe(false);
    expect(applyGcra(state, limit, NOW + 250).decision.allowed).toBe(true);
  });

  it('gives each refused request its own place as Retry-After, not one second for all', () => {
    const slow: RateLimit = { ratePerSecond: 0.5, burst: 1 };
    const { decisions } = burstAt({}, slow, NOW, 4);

    // Room again at NOW + 2 s, + 4 s, + 6 s: not all three told to come back at the same second.
    expect(decisions.map((decision) => decision.retryAfterSeconds)).toEqual([0, 2, 4, 6]);
  });

  it('admits at least the burst of each crowd refused at one instant that comes back when told, when nothing else comes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 50, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 60 }),
        (ratePerSecond, burst, count) => {
          const rate: RateLimit = { ratePerSecond, burst };
          const burst0 = burstAt({}, rate, NOW, count);
          let { state } = burst0;
          const crowds = new Map<number, number>();
          for (const decision of burst0.decisions) {
            if (decision.allowed || decision.retryAfterSeconds >= MAX_RETRY_AFTER_SECONDS) continue;
            const at = NOW + decision.retryAfterSeconds * 1000;
            crowds.set(at, (crowds.get(at) ?? 0) + 1);
          }
          for (const [at, size] of [...crowds].sort(([a], [b]) => a - b)) {
            let admitted = 0;
            for (let index = 0; index < size; index += 1) {
              const outcome = applyGcra(state, rate, at);
              if (outcome.decision.allowed) admitted += 1;
              state = outcome.next;
            }
            // A second's places are at most twice the burst: at least half of a crowd gets in, all of it
            // when the limit refills no more than its burst in a second.
            expect(admitted).toBeGreaterThanOrEqual(Math.min(size, burst));
            if (ratePerSecond <= burst) expect(admitted).toBe(size);
          }
        },
      ),
    );
  });

  it('hands out places no faster than the rate, and at most twice the burst a second', () => {
    const stream: RateLimit = { ratePerSecond: 20, burst: 5 };
    const { decisions } = burstAt({}, stream, NOW, 45);
    const told = decisions.filter((decision) => !decision.allowed).map((d) => d.retryAfterSeconds);
    const perSecond = new Map<number, number>();
    for (const seconds of told) perSecond.set(seconds, (perSecond.get(seconds) ?? 0) + 1);
    // 40 refused at one instant: ten a second (a queue of five a second would leave half the rate unused).
    expect([...perSecond.values()]).toEqual([10, 10, 10, 10]);
    const slowCaller: RateLimit = { ratePerSecond: 5, burst: 10 };
    const caller = burstAt({}, slowCaller, NOW, 30).decisions.filter((decision) => !decision.allowed);
    expect(caller.map((decision) => decision.retryAfterSeconds)).toEqual([
      ...Array<number>(5).fill(1),
      ...Array<number>(5).fill(2),
      ...Array<number>(5).fill(3),
      ...Array<number>(5).fill(4),
    ]);
  });

  it('never lets more through in any window than burst + rate × window', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 30, noNaN: true }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 200 }),
        (ratePerSecond, burst, offsets) => {
          const rate: RateLimit = { ratePerSecond, burst };
          let state: GcraState = {};
          const admitted: number[] = [];
          for (const offset of [...offsets].sort((a, b) => a - b)) {
            const outcome = applyGcra(state, rate, NOW + offset);
            state = outcome.next;
            if (outcome.decision.allowed) admitted.push(offset);
          }
          for (let first = 0; first < admitted.length; first += 1) {
            for (let last = first; last < admitted.length; last += 1) {
              const windowSeconds = (admitted[last]! - admitted[first]!) / 1000;
              expect(last - first + 1).toBeLessThanOrEqual(burst + ratePerSecond * windowSeconds + 1e-6);
            }
          }
        },
      ),
    );
  });

  it('gives back exactly one request', () => {
    const { state } = burstAt({}, limit, NOW, 2);
    expect(applyGcra(state, limit, NOW).decision.allowed).toBe(false);
    expect(applyGcra(giveBackGcra(state, limit), limit, NOW).decision.allowed).toBe(true);
    expect(giveBackGcra({}, limit)).toEqual({});
  });

  it('bounds Retry-After between one second and its maximum', () => {
    expect(retryAfterSeconds(NOW + 1, limit, NOW)).toBe(1);
    expect(retryAfterSeconds(NOW + 10_000_000, limit, NOW)).toBe(MAX_RETRY_AFTER_SECONDS);
    const full = applyGcra({ tat: NOW + 500, qtat: gcraTimes(limit, NOW).latestQtat + 1 }, limit, NOW);
    expect(full.decision).toEqual({
      allowed: false,
      retryAfterSeconds: MAX_RETRY_AFTER_SECONDS,
      retryAfterMs: MAX_RETRY_AFTER_SECONDS * 1000,
    });
  });

  it('gives the wait to the millisecond beside the whole seconds, never longer than them', () => {
    const times = gcraTimes(limit, NOW);
    // The first place of a full limit: room when tat has come down to within the tolerance.
    const tat = times.latestTat + 1_234;
    const queued = applyGcra({ tat }, limit, NOW);
    expect(queued.decision.retryAfterMs).toBe(1_234);
    expect(queued.decision.retryAfterSeconds).toBe(2);
    // Places of a crowd refused at one instant: their waits grow by the spacing, to the millisecond,
    // where the whole seconds send several of them back at once.
    let state = queued.next;
    const waits = [queued.decision];
    for (let i = 0; i < 4; i += 1) {
      const next = applyGcra(state, limit, NOW);
      waits.push(next.decision);
      state = next.next;
    }
    for (let i = 1; i < waits.length; i += 1) {
      expect(waits[i]!.retryAfterMs! - waits[i - 1]!.retryAfterMs!).toBeCloseTo(times.spacingMs, 0);
      expect(waits[i]!.retryAfterMs!).toBeLessThanOrEqual(waits[i]!.retryAfterSeconds * 1000);
    }
    expect(new Set(waits.map((wait) => wait.retryAfterSeconds)).size).toBeLessThan(waits.length);
    expect(retryAfterMs(NOW + 1, limit, NOW)).toBe(1);
  });

  it('lets a clock behind the stored tat only be stricter', () => {
    // Another instance wrote tat from a clock 5 s ahead: this one sees the limit busy, not idle.
    expect(applyGcra({ tat: NOW + 5_000 }, limit, NOW).decision.allowed).toBe(false);
  });

  it('reaches no further than a limit says its queue does', () => {
    const short: RateLimit = { ...limit, maxQueueSeconds: 3 };
    let state: GcraState = { tat: gcraTimes(short, NOW).latestTat + 1 };
    const told: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const outcome = applyGcra(state, short, NOW);
      told.push(outcome.decision.retryAfterSeconds);
      state = outcome.next;
    }
    expect(Math.max(...told)).toBe(3);
    expect(applyGcra(state, short, NOW).decision).toEqual({
      allowed: false,
      retryAfterSeconds: 3,
      retryAfterMs: 3_000,
    });
    expect(() => applyGcra({}, { ...limit, maxQueueSeconds: 0 }, NOW)).toThrow(RangeError);
    expect(() => applyGcra({}, { ...limit, maxQueueSeconds: 61 }, NOW)).toThrow(RangeError);
  });

  it.each([
    [{ ratePerSecond: 0, burst: 1 }],
    [{ ratePerSecond: -1, burst: 1 }],
    [{ ratePerSecond: Number.NaN, burst: 1 }],
    [{ ratePerSecond: 1, burst: 0 }],
    [{ ratePerSecond: 1, burst: Number.POSITIVE_INFINITY }],
  ])('rejects the limit %j', (bad) => {
    expect(() => applyGcra({}, bad, NOW)).toThrow(RangeError);
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
      { callerLimit: { ratePerSecond: 3, burst: 2 } },
      { callerLimit: { ratePerSecond: 3, burst: 4 } },
    ];
    expect(effectiveCallerLimit(grants, fallback)).toEqual({ ratePerSecond: 3, burst: 4 });
  });

  it('counts a grant without callerLimit as the default: a stingy group grant lowers no one', () => {
    const stingyGroup = { callerLimit: { ratePerSecond: 0.01, burst: 1 } };
    expect(effectiveCallerLimit([stingyGroup, {}], fallback)).toEqual(fallback);
    expect(effectiveCallerLimit([{}, stingyGroup], fallback)).toEqual(fallback);
    // A grant that raises the limit still wins over one without.
    expect(
      effectiveCallerLimit([{}, { callerLimit: { ratePerSecond: 8, burst: 2 } }, stingyGroup], fallback),
    ).toEqual({ ratePerSecond: 8, burst: 2 });
    // Same rate as the default, larger burst: the larger burst.
    expect(effectiveCallerLimit([{ callerLimit: { ratePerSecond: 5, burst: 20 } }, {}], fallback)).toEqual({
      ratePerSecond: 5,
      burst: 20,
    });
  });

  it('lets an override be stricter than the default when every allowing grant sets one', () => {
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
      clock,
      timeoutMs: 2_000,
    };
  });

  /** Another principal asking for `streamName` now: a share is then less than the whole stream. */
  const othersWaiting = (streamName: string): Promise<number> =>
    options.activity.touch(admissionKeys.streamActivity(streamName), 'user:zoe', 10_000, clock.now() + 1_000);

  it('checks the caller and its share of the stream, then the stream', async () => {
    await othersWaiting('front-door');
    await createAdmission(options).admit({ caller: user('alice'), streamName: 'front-door' });

    expect(limiter.calls).toEqual([
      admissionKeys.caller('user:alice'),
      admissionKeys.streamShare('front-door', 'user:alice'),
      admissionKeys.stream('front-door'),
    ]);
    expect(limiter.calls).toEqual(['caller#user:alice', 'stream#front-door#user:alice', 'stream#front-door']);
    expect(limiter.givenBack).toEqual([]);
  });

  it('takes a share for a principal alone on the stream: its refusals queue on its own key, not the stream', async () => {
    const admission = createAdmission({ ...options, streamLimit: { ratePerSecond: 1, burst: 1 } });
    await admission.admit({ caller: user('solo'), streamName: 'front-door' });
    expect(limiter.calls).toEqual(['caller#user:solo', 'stream#front-door#user:solo', 'stream#front-door']);

    // Hammering alone: refused by its share, which is the whole stream, and the stream's queue stays empty.
    for (let i = 0; i < 20; i += 1) {
      await expect(admission.admit({ caller: user('solo'), streamName: 'front-door' })).rejects.toMatchObject(
        {
          code: 'RATE_LIMITED',
        },
      );
    }
    expect(limiter.states.get('stream#front-door')?.qtat).toBeUndefined();
    // A newcomer is told the stream's own time, not the end of the lone caller's backlog.
    clock.advance(100);
    await expect(admission.admit({ caller: user('bob'), streamName: 'front-door' })).rejects.toMatchObject({
      retryAfterSeconds: 1,
    });
  });

  it("keeps the stream's queue short: a crowd of one-shot callers never has a newcomer told more than 10 s", async () => {
    const admission = createAdmission(options);
    // 400 callers ask once each at the same moment and never come back.
    const told: number[] = [];
    for (let i = 0; i < 400; i += 1) {
      await admission
        .admit({ caller: user(`once-${i}`), streamName: 'front-door' })
        .catch((error: RateLimitedError) => told.push(error.retryAfterSeconds));
    }
    clock.advance(300);
    const newcomer = await admission.admit({ caller: user('newcomer'), streamName: 'front-door' }).then(
      () => undefined,
      (error: RateLimitedError) => error,
    );

    expect(told.length).toBeGreaterThan(300);
    expect(Math.max(...told)).toBe(STREAM_QUEUE_SECONDS);
    expect(newcomer?.retryAfterSeconds ?? 0).toBeLessThanOrEqual(STREAM_QUEUE_SECONDS);
    // A caller's own queue still reaches the full minute.
    expect(queueFull({ ratePerSecond: 1, burst: 1 }).retryAfterSeconds).toBe(MAX_RETRY_AFTER_SECONDS);
  });

  it('checks a caller it expects to refuse alone first: refused, nothing shared is touched', async () => {
    const admission = createAdmission({ ...options, callerLimit: { ratePerSecond: 1, burst: 1 } });
    await othersWaiting('front-door');
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });
    limiter.calls.length = 0;
    limiter.expected.add('caller#user:alice');

    await expect(admission.admit({ caller: user('alice'), streamName: 'front-door' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/caller/) as unknown,
    });
    expect(limiter.calls).toEqual(['caller#user:alice']);
    expect(limiter.givenBack).toEqual([]);

    // Expected wrongly (another instance gave back): allowed, and the share and the stream follow.
    clock.advance(1_000);
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });
    expect(limiter.calls.slice(1)).toEqual([
      'caller#user:alice',
      'stream#front-door#user:alice',
      'stream#front-door',
    ]);
  });

  it('gives back the caller and share it took when the stream refuses', async () => {
    const admission = createAdmission({ ...options, streamLimit: { ratePerSecond: 1, burst: 1 } });
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });

    const refused = admission.admit({ caller: user('bob'), streamName: 'front-door' });

    await expect(refused).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/stream/) as unknown,
    });
    expect(limiter.givenBack.sort()).toEqual(['caller#user:bob', 'stream#front-door#user:bob']);
    // Given back in full: bob's keys hold what they held before (nothing used).
    expect(limiter.states.get('caller#user:bob')?.tat).toBeLessThanOrEqual(clock.now());
    expect(limiter.states.get('stream#front-door#user:bob')?.tat).toBeLessThanOrEqual(clock.now());
  });

  it('gives back the share when the caller limit refuses, and never touches the stream', async () => {
    const admission = createAdmission({ ...options, callerLimit: { ratePerSecond: 1, burst: 1 } });
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });
    await othersWaiting('backyard');
    limiter.calls.length = 0;

    await expect(admission.admit({ caller: user('alice'), streamName: 'backyard' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/caller/) as unknown,
      retryAfterSeconds: 1,
    });
    expect(limiter.calls).not.toContain('stream#backyard');
    expect(limiter.givenBack).toEqual(['stream#backyard#user:alice']);
    expect(limiter.states.get('stream#backyard#user:alice')?.tat).toBeLessThanOrEqual(clock.now());
  });

  it('gives back what was taken when the store fails on another check, and fails closed', async () => {
    limiter.failing.add('stream#front-door#user:alice');
    await othersWaiting('front-door');

    const failed = createAdmission(options).admit({ caller: user('alice'), streamName: 'front-door' });

    await expect(failed).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(limiter.givenBack).toEqual(['caller#user:alice']);
  });

  it('answers the longest Retry-After when both the caller and its share refuse', async () => {
    const admission = createAdmission({
      ...options,
      callerLimit: { ratePerSecond: 0.25, burst: 2 },
      streamLimit: { ratePerSecond: 2, burst: 2 },
    });
    // Two waiting: alice's share is 1/s with a burst of 2 (MIN_SHARE_BURST).
    await othersWaiting('front-door');
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });
    await admission.admit({ caller: user('alice'), streamName: 'front-door' });
    limiter.givenBack.length = 0;
    limiter.calls.length = 0;

    // Both refuse: the share has room again in a second, the caller in four.
    await expect(admission.admit({ caller: user('alice'), streamName: 'front-door' })).rejects.toMatchObject({
      retryAfterSeconds: 4,
    });
    expect(limiter.givenBack).toEqual([]);
    expect(limiter.calls).not.toContain('stream#front-door');
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
    await othersWaiting('garage');
    limiter.calls.length = 0;

    const refused = admission.admit({ caller: alice, streamName: 'garage' });

    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 2, code: 'RATE_LIMITED' });
    // The share was checked alongside and given back; the stream itself was never asked.
    expect(limiter.calls).toEqual(['caller#user:alice', 'stream#garage#user:alice']);
    expect(limiter.givenBack).toEqual(['stream#garage#user:alice']);
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

  it('would starve the modest principal with a stream limit alone (the simulation can tell)', async () => {
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
    expect(() => createAdmission({ ...options, timeoutMs: 0 })).toThrow(RangeError);
  });
});
