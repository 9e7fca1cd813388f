import { createAdmission, type Admission } from '../../lambda/core/admission';
import { createDynamoDbActivityTracker } from '../../lambda/adapters/admission/activity-tracker';
import { MAX_TRACKED_CALLERS } from '../../lambda/core/admission';
import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import { useAdmissionTable } from './support/admission-table';
import { admitOn, peakPerSecond, simulate, user } from './support/simulation';

const TABLE = 'admission-streams';

describe('stream share over DynamoDB, two instances (dynalite)', () => {
  const store = useAdmissionTable(TABLE);

  /** One "Lambda instance" with its own client on the shared table. */
  const lambdaInstance = (callerLimit = { ratePerSecond: 100, burst: 100 }): Admission => {
    const table = store.instance();
    return createAdmission({
      limiter: createDynamoDbRateLimiter({ table }),
      activity: createDynamoDbActivityTracker({ table }),
      callerLimit,
      streamLimit: { ratePerSecond: 20, burst: 5 },
      streamShareWindowMs: 10_000,
      clock: store.clock,
      timeoutMs: 10_000,
    });
  };
  const soon = (): number => store.clock.now() + 10_000;

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

  it('admits every request of a burst within the limits, however many instances race for the keys', async () => {
    const alice = user('alice');
    const fleet = Array.from({ length: 5 }, () => lambdaInstance({ ratePerSecond: 5, burst: 10 }));

    // Five at once: within the caller's burst (10) and the stream's (5), each from its own instance.
    const results = await Promise.allSettled(
      fleet.map((admission) => admission.admit({ caller: alice, streamName: 'porch' })),
    );

    expect(results.map((result) => result.status)).toEqual(Array(5).fill('fulfilled'));
    const refusedNext = fleet[0]!.admit({ caller: alice, streamName: 'porch' });
    await expect(refusedNext).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
  });

  it('records who is waiting on a stream in one item, one attribute each, pruned and expiring', async () => {
    const admission = lambdaInstance();
    await admission.admit({ caller: user('a'), streamName: 'backyard' });
    store.clock.advance(1_000);
    await admission.admit({ caller: user('b'), streamName: 'backyard' });
    store.clock.advance(9_500);
    await admission.admit({ caller: user('c'), streamName: 'backyard' });

    const item = (await store.storedItem('active#backyard'))!;
    // `a` went idle for the whole window and was removed; `b` is still within it.
    expect(
      Object.keys(item)
        .filter((name) => name.startsWith('m:'))
        .sort(),
    ).toEqual(['m:user:b', 'm:user:c']);
    expect(item.ttl).toBe(Math.ceil((store.clock.current + 10_000) / 1000) + 1);
  });

  it('counts distinct principals across instances', async () => {
    const a = createDynamoDbActivityTracker({ table: store.instance() });
    const b = createDynamoDbActivityTracker({ table: store.instance() });

    expect(await a.touch('active#garage', 'user:x', 10_000, soon())).toBe(1);
    expect(await b.touch('active#garage', 'user:y', 10_000, soon())).toBe(2);
    store.clock.advance(100);
    expect(await a.touch('active#garage', 'user:y', 10_000, soon())).toBe(2);
    store.clock.advance(10_000);
    expect(await b.touch('active#garage', 'user:x', 10_000, soon())).toBe(1);
  });

  it('writes a member again only after a quarter of the window', async () => {
    const a = createDynamoDbActivityTracker({ table: store.instance() });
    const before = store.db.operations().UpdateItem ?? 0;

    await a.touch('active#shed', 'user:z', 10_000, soon());
    store.clock.advance(2_000);
    expect(await a.touch('active#shed', 'user:z', 10_000, soon())).toBe(1);
    expect((store.db.operations().UpdateItem ?? 0) - before).toBe(1);
    store.clock.advance(1_000);
    await a.touch('active#shed', 'user:z', 10_000, soon());
    expect((store.db.operations().UpdateItem ?? 0) - before).toBe(2);
  });

  it('answers the current count between its writes: a newcomer through another instance counts at once', async () => {
    const a = createDynamoDbActivityTracker({ table: store.instance() });
    const b = createDynamoDbActivityTracker({ table: store.instance() });
    expect(await a.touch('active#loft', 'user:x', 10_000, soon())).toBe(1);
    expect(await b.touch('active#loft', 'user:y', 10_000, soon())).toBe(2);
    const before = store.db.operations();

    store.clock.advance(100);
    // `a` wrote x a moment ago, so it does not write again, but it reads: y shrinks x's share now.
    expect(await a.touch('active#loft', 'user:x', 10_000, soon())).toBe(2);
    const after = store.db.operations();
    expect((after.UpdateItem ?? 0) - (before.UpdateItem ?? 0)).toBe(0);
    expect((after.GetItem ?? 0) - (before.GetItem ?? 0)).toBe(1);
  });

  it('adds no new member to a full item for a quarter of the window, and counts it at the bound', async () => {
    const filler = createDynamoDbActivityTracker({ table: store.instance() });
    for (let offset = 0; offset < MAX_TRACKED_CALLERS; offset += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          filler.touch('active#arena', `user:f${offset + index}`, 10_000, soon()),
        ),
      );
    }
    const tracker = createDynamoDbActivityTracker({ table: store.instance() });
    // The first touch of this instance writes (it has not seen the item full yet) and learns it is full.
    expect(await tracker.touch('active#arena', 'user:first', 10_000, soon())).toBe(MAX_TRACKED_CALLERS);
    const before = store.db.operations().UpdateItem ?? 0;

    expect(await tracker.touch('active#arena', 'user:second', 10_000, soon())).toBe(MAX_TRACKED_CALLERS);
    expect((store.db.operations().UpdateItem ?? 0) - before).toBe(0);
    expect((await store.storedItem('active#arena'))!['m:user:second']).toBeUndefined();

    store.clock.advance(2_500);
    await tracker.touch('active#arena', 'user:third', 10_000, soon());
    expect((await store.storedItem('active#arena'))!['m:user:third']).toBe(store.clock.current);
  });

  it('reads with a deadline beyond the longest timer Node.js sets, as a far deadline should', async () => {
    const table = store.instance();
    await table.write(
      'active#far',
      { update: 'SET #v = :v', names: { '#v': 'v' }, values: { ':v': 1 } },
      soon(),
    );

    // 2^31 ms is about 25 days: a timer that long overflows to 1 ms, and the read would abort at once.
    const far = store.clock.now() + 2 ** 31 + 60_000;
    expect(await table.read('active#far', far)).toEqual({ v: 1 });
    expect(await table.read('active#far', far, false)).toEqual({ v: 1 });
  });

  it('never conflicts: members recorded at once from many instances are all counted', async () => {
    const trackers = Array.from({ length: 12 }, () =>
      createDynamoDbActivityTracker({ table: store.instance() }),
    );

    await Promise.all(
      trackers.map((tracker, index) => tracker.touch('active#attic', `user:m${index}`, 10_000, soon())),
    );

    expect(await trackers[0]!.touch('active#attic', 'user:late', 10_000, soon())).toBe(13);
  });
});
