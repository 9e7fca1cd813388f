import { createAdmission, type Admission } from '../../lambda/core/admission';
import { createDynamoDbActivityTracker } from '../../lambda/adapters/admission/activity-tracker';
import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import { useAdmissionTable } from './support/admission-table';
import { admitOn, peakPerSecond, simulate, user } from './support/simulation';

const TABLE = 'admission-streams';

describe('stream share over DynamoDB, two instances (dynalite)', () => {
  const store = useAdmissionTable(TABLE);

  /** One "Lambda instance" with its own client on the shared table. */
  const lambdaInstance = (): Admission => {
    const table = store.instance({ maxAttempts: 20 });
    return createAdmission({
      limiter: createDynamoDbRateLimiter({ table }),
      activity: createDynamoDbActivityTracker({ table }),
      callerLimit: { ratePerSecond: 100, burst: 100 },
      streamLimit: { ratePerSecond: 20, burst: 5 },
      streamShareWindowMs: 10_000,
    });
  };

  it('keeps a fair share for a modest principal while a greedy one hammers through another instance', async () => {
    const first = lambdaInstance();
    const second = lambdaInstance();
    const greedy = user('greedy');
    const modest = user('modest');
    // Each principal lands on its own instance: the share must hold through the shared table alone.
    const admit = (caller: typeof greedy) =>
      (caller === greedy ? admitOn(first, 'front-door') : admitOn(second, 'front-door'))(caller);

    const result = await simulate(
      admit,
      store.clock,
      [
        { caller: greedy, perSecond: 50 },
        { caller: modest, perSecond: 5 },
      ],
      4_000,
    );

    expect(result.admitted.get('modest')).toHaveLength(result.requested.get('modest')!);
    expect(result.admitted.get('greedy')!.length).toBeLessThanOrEqual(10 * 4 + 5);
    expect(peakPerSecond(result)).toBeLessThanOrEqual(25);
    expect(result.refusalsWithoutRetryAfter).toBe(0);
  });

  it('records who is waiting on a stream in one pruned, expiring item', async () => {
    const admission = lambdaInstance();
    await admission.admit({ caller: user('a'), streamName: 'backyard' });
    store.clock.advance(1_000);
    await admission.admit({ caller: user('b'), streamName: 'backyard' });
    store.clock.advance(9_500);
    await admission.admit({ caller: user('c'), streamName: 'backyard' });

    const item = (await store.storedItem('active#backyard'))!;
    // `a` went idle for the whole window and was dropped; `b` is still within it.
    expect(Object.keys(item.seen as object).sort()).toEqual(['user:b', 'user:c']);
    expect(item.ttl).toBe(Math.ceil((store.clock.current + 10_000) / 1000) + 1);
  });

  it('counts distinct principals across instances', async () => {
    const a = createDynamoDbActivityTracker({ table: store.instance() });
    const b = createDynamoDbActivityTracker({ table: store.instance() });

    expect(await a.touch('active#garage', 'user:x', 10_000)).toBe(1);
    expect(await b.touch('active#garage', 'user:y', 10_000)).toBe(2);
    store.clock.advance(100);
    // A member seen moments ago is not written again, yet the count stays right.
    expect(await a.touch('active#garage', 'user:y', 10_000)).toBe(2);
    store.clock.advance(10_000);
    expect(await b.touch('active#garage', 'user:x', 10_000)).toBe(1);
  });
});
