import { createManualClock } from '../../src/index';
import { QuotaBuckets } from '../../src/quotas';

describe('KVS emulator quota buckets', () => {
  it('takes from every bucket of a call or from none', () => {
    const clock = createManualClock();
    const limiter = new QuotaBuckets(clock.now);
    const stream = { key: 'stream', perSecond: 5 };
    const account = { key: 'account', perSecond: 2 };

    const results = [
      limiter.tryTake(stream, account),
      limiter.tryTake(stream, account),
      limiter.tryTake(stream, account),
    ];

    expect(results).toEqual([true, true, false]);
    expect([1, 2, 3].map(() => limiter.tryTake(stream))).toEqual([true, true, true]);
    expect(limiter.tryTake(stream)).toBe(false);
  });

  it('refills continuously with the clock, up to the bucket size', () => {
    const clock = createManualClock();
    const limiter = new QuotaBuckets(clock.now);
    const limit = { key: 'k', perSecond: 4 };
    while (limiter.tryTake(limit));

    clock.advance(250);
    const afterQuarter = [limiter.tryTake(limit), limiter.tryTake(limit)];
    clock.advance(60_000);
    let burst = 0;
    while (limiter.tryTake(limit)) burst += 1;

    expect(afterQuarter).toEqual([true, false]);
    expect(burst).toBe(4);
  });

  it('forgets refilled buckets once it holds too many', () => {
    const clock = createManualClock();
    const limiter = new QuotaBuckets(clock.now, 2);
    limiter.tryTake({ key: 'session-a', perSecond: 5 });
    limiter.tryTake({ key: 'session-b', perSecond: 5 });

    clock.advance(1_000);
    limiter.tryTake({ key: 'session-c', perSecond: 5 });

    expect(limiter.size).toBe(1);
  });
});
