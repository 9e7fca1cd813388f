import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createAdmission, type Admission } from '../../lambda/core/admission';
import { createDynamoDbActivityTracker, createDynamoDbRateLimiter } from '../../lambda/adapters/rate-limiter';
import {
  createAbuseTableSchema,
  FakeClock,
  instance,
  startDynalite,
  type RunningDynalite,
} from './support/abuse-table';
import { admitOn, peakPerSecond, simulate, user } from './support/simulation';

const TABLE = 'abuse-streams';

describe('stream admission over DynamoDB, two instances (dynalite)', () => {
  let db: RunningDynalite;
  let clock: FakeClock;
  let clients: DynamoDBClient[];

  /** One "Lambda instance" with its own client on the shared table. */
  const lambdaInstance = (): Admission => {
    const { table, client } = instance(db.endpoint, TABLE, clock, { maxAttempts: 20 });
    clients.push(client);
    return createAdmission({
      limiter: createDynamoDbRateLimiter({ table }),
      activity: createDynamoDbActivityTracker({ table }),
      principalLimit: { ratePerSecond: 100, burst: 100 },
      streamLimit: { ratePerSecond: 20, burst: 5 },
      fairShareWindowMs: 10_000,
    });
  };

  beforeAll(async () => {
    db = await startDynalite();
    await createAbuseTableSchema(db.admin, TABLE);
  });

  afterAll(async () => {
    await db.stop();
  });

  beforeEach(() => {
    clock = new FakeClock();
    clients = [];
  });

  afterEach(() => {
    for (const client of clients) client.destroy();
  });

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
      clock,
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
    clock.advance(1_000);
    await admission.admit({ caller: user('b'), streamName: 'backyard' });
    clock.advance(9_500);
    await admission.admit({ caller: user('c'), streamName: 'backyard' });

    const output = await db.admin.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'active#backyard' } }, ConsistentRead: true }),
    );
    const item = unmarshall(output.Item!);
    // `a` went idle for the whole window and was dropped; `b` is still within it.
    expect(Object.keys(item.seen as object).sort()).toEqual(['user:b', 'user:c']);
    expect(item.ttl).toBe(Math.ceil((clock.current + 10_000) / 1000) + 1);
  });

  it('counts distinct principals across instances', async () => {
    const { table, client } = instance(db.endpoint, TABLE, clock);
    const other = instance(db.endpoint, TABLE, clock);
    clients.push(client, other.client);
    const a = createDynamoDbActivityTracker({ table });
    const b = createDynamoDbActivityTracker({ table: other.table });

    expect(await a.touch('active#garage', 'user:x', 10_000)).toBe(1);
    expect(await b.touch('active#garage', 'user:y', 10_000)).toBe(2);
    clock.advance(100);
    // A member seen moments ago is not written again, yet the count stays right.
    expect(await a.touch('active#garage', 'user:y', 10_000)).toBe(2);
    clock.advance(10_000);
    expect(await b.touch('active#garage', 'user:x', 10_000)).toBe(1);
  });
});
