import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AdmissionUnavailableError, type RateLimit, type RateLimiter } from '../../lambda/core/admission';
import { GRANT_REQUEST } from '../../lambda/contract';
import { UpstreamUnavailableError } from '../../lambda/core/errors';
import { afterFailed, createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import {
  boundedKey,
  createAdmissionTable,
  ConditionFailedError,
  isRetryableTableError,
  type AdmissionTable,
  type AdmissionTableOptions,
} from '../../lambda/adapters/admission/admission-table';
import {
  createAdmissionTableSchema,
  credentials,
  FakeClock,
  REGION,
  startDynalite,
  useAdmissionTable,
  type RunningDynalite,
} from './support/admission-table';
import { DynamoDbProxy } from './support/dynamodb-proxy';

const TABLE = 'admission-callers';
const limit: RateLimit = { ratePerSecond: 2, burst: 5 };
/** Deadlines on a clock the test moves: ten seconds of real waiting, which no test here runs into. */
const deadlineOn = (clock: { now(): number }) => (): number => clock.now() + 10_000;

describe('DynamoDB rate limit (GCRA) shared by instances (dynalite)', () => {
  const store = useAdmissionTable(TABLE);
  const soon = deadlineOn({ now: () => store.clock.now() });
  let keyCounter = 0;
  const freshKey = () => `caller#user:test-${(keyCounter += 1)}`;

  const instances = (count: number, overrides: Partial<AdmissionTableOptions> = {}): RateLimiter[] =>
    Array.from({ length: count }, () => createDynamoDbRateLimiter({ table: store.instance(overrides) }));

  it('lets a burst through across instances, then refuses with Retry-After', async () => {
    const [a, b] = instances(2);
    const key = freshKey();

    const decisions = [];
    for (let i = 0; i < 6; i += 1) decisions.push(await (i % 2 === 0 ? a! : b!).take(key, limit, soon()));

    expect(decisions.slice(0, 5).every((decision) => decision.allowed)).toBe(true);
    expect(decisions[5]).toEqual({ allowed: false, retryAfterSeconds: 1, retryAfterMs: 500 });
  });

  it('refills with time on the shared clock, at the configured rate', async () => {
    const [a, b] = instances(2);
    const key = freshKey();
    for (let i = 0; i < 5; i += 1) await a!.take(key, limit, soon());
    expect((await b!.take(key, limit, soon())).allowed).toBe(false);

    store.clock.advance(499);
    expect((await b!.take(key, limit, soon())).allowed).toBe(false);
    store.clock.advance(1);
    expect((await b!.take(key, limit, soon())).allowed).toBe(true);
    expect((await a!.take(key, limit, soon())).allowed).toBe(false);

    store.clock.advance(1_000);
    expect((await a!.take(key, limit, soon())).allowed).toBe(true);
    expect((await b!.take(key, limit, soon())).allowed).toBe(true);
    expect((await a!.take(key, limit, soon())).allowed).toBe(false);
  });

  it('stores the theoretical arrival time, nothing to read first', async () => {
    const [a] = instances(1);
    const key = freshKey();
    const before = store.db.operations();

    await a!.take(key, limit, soon());
    await a!.take(key, limit, soon());

    const after = store.db.operations();
    expect((after.UpdateItem ?? 0) - (before.UpdateItem ?? 0)).toBe(2);
    expect((after.GetItem ?? 0) - (before.GetItem ?? 0)).toBe(0);
    const item = await store.storedItem(key);
    expect(item).toMatchObject({ pk: key, tat: store.clock.current + 1_000 });
    // TTL in epoch seconds, past any time the item could still matter.
    expect(item?.ttl).toBeGreaterThan(Math.ceil((store.clock.current + 1_000) / 1000));
  });

  it('never loses a race: concurrent requests within the burst, each from its own instance, are all admitted', async () => {
    const key = freshKey();
    const roomy: RateLimit = { ratePerSecond: 1, burst: 20 };
    const refusedBefore = store.db.refusedRequests();

    const decisions = await Promise.all(instances(20).map((limiter) => limiter.take(key, roomy, soon())));

    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    expect((await store.storedItem(key))?.tat).toBe(store.clock.current + 20 * 1_000);
    // The first writes found the key taken by another instance: races there were, and none refused.
    expect(store.db.refusedRequests()).toBeGreaterThan(refusedBefore);
  });

  it('never admits more than the burst when instances race on one key', async () => {
    const key = freshKey();

    const decisions = await Promise.all(instances(24).map((limiter) => limiter.take(key, limit, soon())));

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
    expect((await store.storedItem(key))?.tat).toBe(store.clock.current + 5 * 500);
  });

  it('gives every refused request of a burst its own place, and admits each one that comes back when told', async () => {
    const key = freshKey();
    const slow: RateLimit = { ratePerSecond: 1, burst: 2 };
    const fleet = instances(8);

    const decisions = await Promise.all(fleet.map((limiter) => limiter.take(key, slow, soon())));

    const refused = decisions.filter((decision) => !decision.allowed);
    expect(refused).toHaveLength(6);
    // One place per second: not six callers told to come back in the same second.
    expect(refused.map((decision) => decision.retryAfterSeconds).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const start = store.clock.current;
    const comebacks = refused.map((decision) => decision.retryAfterSeconds).sort((a, b) => a - b);
    for (const [index, seconds] of comebacks.entries()) {
      store.clock.current = start + seconds * 1000;
      // Waiting as told is rewarded, whichever instance the caller comes back to.
      expect(await fleet[index % fleet.length]!.take(key, slow, soon())).toEqual({
        allowed: true,
        retryAfterSeconds: 0,
      });
    }
  });

  it('gives back a take: the next request at the same moment is admitted again', async () => {
    const [a, b] = instances(2);
    const key = freshKey();
    for (let i = 0; i < 5; i += 1) await a!.take(key, limit, soon());
    expect((await b!.take(key, limit, soon())).allowed).toBe(false);
    const before = store.db.operations();

    await a!.giveBack(key, limit, soon());

    // `b` remembers a full key: its place in the queue assumes one, fails, and a read finds the room.
    expect((await b!.take(key, limit, soon())).allowed).toBe(true);
    expect((store.db.operations().GetItem ?? 0) - (before.GetItem ?? 0)).toBe(1);
    expect((await a!.take(key, limit, soon())).allowed).toBe(false);
  });

  it('corrects a stale remembered state through the write conditions', async () => {
    const [a, b] = instances(2);
    const key = freshKey();
    await a!.take(key, limit, soon());
    for (let i = 0; i < 4; i += 1) await b!.take(key, limit, soon());
    store.clock.advance(10_000);
    // `a` remembers a busy key; it is idle now: the busy write fails and the idle one follows.
    expect((await a!.take(key, limit, soon())).allowed).toBe(true);
    expect((await store.storedItem(key))?.tat).toBe(store.clock.current + 500);
  });

  it('needs no read when a failed condition says enough (dynalite returns no item with it)', async () => {
    const [a, b] = instances(2);
    const key = freshKey();
    for (let i = 0; i < 5; i += 1) await a!.take(key, limit, soon());
    const before = store.db.operations();

    // `b` has never seen the key. Its idle write fails: the key is taken, so the busy write follows; that
    // fails too: the room went to the requests before it, so it takes a place in the queue.
    const refused = await b!.take(key, limit, soon());

    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1, retryAfterMs: 500 });
    const after = store.db.operations();
    expect((after.UpdateItem ?? 0) - (before.UpdateItem ?? 0)).toBe(3);
    expect((after.GetItem ?? 0) - (before.GetItem ?? 0)).toBe(0);
    // The first place: one spacing (500 ms at 2/s) after the burst's end.
    expect(await store.storedItem(key)).toMatchObject({ qtat: store.clock.current + 5 * 500 + 500 });
  });

  it('chooses the write after a failed condition by what it rules out', () => {
    expect(afterFailed('take-idle', {})).toBe('take-busy');
    expect(afterFailed('take-busy', {})).toBe('queue-first');
    expect(afterFailed('take-busy', { tat: 10, qtat: 20 })).toBe('queue-next');
    expect(afterFailed('queue-first', {})).toBe('queue-next');
    // Nothing left to rule out: the item is read.
    expect(afterFailed('queue-next', {})).toBeUndefined();
  });

  it('keeps a refusal decided on a full key when room opens before its place is written', async () => {
    const key = freshKey();
    const fleet = instances(12);
    // Twelve instances that have never seen the key, at once: five take the burst, the busy writes of the
    // others fail, and each takes a place, none is refused for a lost race or goes round until its deadline.
    const decisions = await Promise.all(fleet.map((limiter) => limiter.take(key, limit, soon())));

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
    const places = decisions.filter((decision) => !decision.allowed).map((d) => d.retryAfterSeconds);
    expect(places).toHaveLength(7);
    expect(places.every((seconds) => seconds >= 1 && seconds < 60)).toBe(true);
  });

  it('takes the extremes a grant may set (GRANT_REQUEST callerLimit) in DynamoDB: no 503', async () => {
    const [a] = instances(1);
    const fields = GRANT_REQUEST.fields.callerLimit.fields;
    const extremes: RateLimit[] = [
      { ratePerSecond: fields.ratePerSecond.minimum, burst: fields.burst.minimum },
      { ratePerSecond: fields.ratePerSecond.minimum, burst: fields.burst.maximum },
      { ratePerSecond: fields.ratePerSecond.maximum, burst: fields.burst.maximum },
    ];
    for (const extreme of extremes) {
      const key = freshKey();
      for (let i = 0; i < Math.min(extreme.burst, 3); i += 1) {
        expect((await a!.take(key, extreme, soon())).allowed).toBe(true);
      }
    }
    const slowest = freshKey();
    const daily = extremes[0]!;
    expect((await a!.take(slowest, daily, soon())).allowed).toBe(true);
    expect(await a!.take(slowest, daily, soon())).toMatchObject({ allowed: false });
  });

  it('keeps separate limits per key', async () => {
    const [a] = instances(1);
    const first = freshKey();
    const second = freshKey();
    for (let i = 0; i < 5; i += 1) await a!.take(first, limit, soon());

    expect((await a!.take(first, limit, soon())).allowed).toBe(false);
    expect((await a!.take(second, limit, soon())).allowed).toBe(true);
  });

  it('shortens keys longer than DynamoDB comfortably holds to a digest', async () => {
    const [a] = instances(1);
    const long = `caller#user:${'x'.repeat(3_000)}`;

    expect((await a!.take(long, limit, soon())).allowed).toBe(true);
    const item = await store.storedItem(boundedKey(long));
    expect(item?.pk).toMatch(/^sha256#[0-9a-f]{64}$/);
    expect(item?.tat).toBe(store.clock.current + 500);
  });

  it('rejects a nonsensical limit before touching the table', async () => {
    const [a] = instances(1);
    await expect(a!.take(freshKey(), { ratePerSecond: 0, burst: 5 }, soon())).rejects.toThrow(RangeError);
    await expect(a!.take(freshKey(), { ratePerSecond: 1, burst: 0.5 }, soon())).rejects.toThrow(RangeError);
  });
});

describe('DynamoDB rate limit against a store that returns the item with a failed condition (as DynamoDB does)', () => {
  let db: RunningDynalite;
  let proxy: DynamoDbProxy;
  const clock = new FakeClock();
  const soon = deadlineOn(clock);
  const clients: DynamoDBClient[] = [];

  const limiter = (): RateLimiter => {
    const client = new DynamoDBClient({
      region: REGION,
      endpoint: proxy.endpoint,
      credentials,
      maxAttempts: 1,
    });
    clients.push(client);
    return createDynamoDbRateLimiter({
      table: createAdmissionTable({ tableName: TABLE, region: REGION, client, clock }),
    });
  };

  beforeAll(async () => {
    db = await startDynalite();
    await createAdmissionTableSchema(db.admin, TABLE);
    proxy = new DynamoDbProxy(db.endpoint);
    proxy.returnItemOnConditionFailure = true;
    await proxy.start();
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await proxy.stop();
    await db.stop();
  });

  it('decides from the returned item, with no read', async () => {
    const [a, b] = [limiter(), limiter()];
    for (let i = 0; i < 5; i += 1) await a.take('caller#user:aws', limit, soon());
    const before = proxy.operations();

    const refused = await b.take('caller#user:aws', limit, soon());
    const admittedLater = (clock.advance(500), await b.take('caller#user:aws', limit, soon()));

    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1, retryAfterMs: 500 });
    expect(admittedLater.allowed).toBe(true);
    const after = proxy.operations();
    expect((after.GetItem ?? 0) - (before.GetItem ?? 0)).toBe(0);
    expect((after.UpdateItem ?? 0) - (before.UpdateItem ?? 0)).toBeGreaterThanOrEqual(3);
  });
});

describe('DynamoDB rate limit when the store is slow or fails', () => {
  let blackhole: Server;
  let endpoint: string;

  beforeAll(async () => {
    // Accepts connections and never answers: a store that hangs.
    blackhole = createServer(() => undefined);
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    blackhole.closeAllConnections();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  });

  it('throws the typed error (a 503 unless the caller decides otherwise) at the deadline when the store hangs', async () => {
    const table = createAdmissionTable({ tableName: TABLE, region: REGION, endpoint, credentials });
    const limiter = createDynamoDbRateLimiter({ table });

    const taking = limiter.take('caller#user:alice', limit, Date.now() + 200);

    await expect(taking).rejects.toBeInstanceOf(AdmissionUnavailableError);
    await expect(taking).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(taking).rejects.toThrow('did not answer in time');
  });

  /** Runs `use` with a limiter whose table is dynalite behind a DynamoDbProxy the test can make misbehave. */
  const behindProxy = async (
    use: (limiter: RateLimiter, proxy: DynamoDbProxy) => Promise<void>,
  ): Promise<void> => {
    const db = await startDynalite();
    const proxy = new DynamoDbProxy(db.endpoint);
    try {
      await createAdmissionTableSchema(db.admin, TABLE);
      await proxy.start();
      const table = createAdmissionTable({
        tableName: TABLE,
        region: REGION,
        endpoint: proxy.endpoint,
        credentials,
      });
      await use(createDynamoDbRateLimiter({ table }), proxy);
    } finally {
      await proxy.stop();
      await db.stop();
    }
  };

  it('waits for a slow store while the deadline allows: slow is not unavailable', () =>
    behindProxy(async (limiter, proxy) => {
      proxy.delayMs = 700;
      // Slower than the 500 ms a single attempt used to get; well within this admission's deadline.
      expect(await limiter.take('caller#user:slow', limit, Date.now() + 5_000)).toEqual({
        allowed: true,
        retryAfterSeconds: 0,
      });
    }));

  it('tries again when the connection is reset under a request: a reused keep-alive socket is not a store down', () =>
    behindProxy(async (limiter, proxy) => {
      proxy.resetNext = 2;
      expect(await limiter.take('caller#user:reset', limit, Date.now() + 5_000)).toEqual({
        allowed: true,
        retryAfterSeconds: 0,
      });
      // The two resets and the write that went through.
      expect(proxy.operations().UpdateItem).toBe(3);
    }));

  it('takes the room a place finds already there instead of refusing "retry in 1 ms" (a lost race)', async () => {
    const db = await startDynalite();
    const proxy = new DynamoDbProxy(db.endpoint);
    const clock = new FakeClock();
    try {
      await createAdmissionTableSchema(db.admin, TABLE);
      await proxy.start();
      const instance = () =>
        createDynamoDbRateLimiter({
          table: createAdmissionTable({
            tableName: TABLE,
            region: REGION,
            endpoint: proxy.endpoint,
            credentials,
            clock,
          }),
        });
      const [a, b] = [instance(), instance()];
      for (let i = 0; i < 5; i += 1) await a.take('caller#user:race', limit, clock.now() + 60_000);
      // `b` has never seen the key: its idle write fails, then its busy write finds the key full. While that
      // answer is on its way the key empties (the clock moves 2 s), so the place it writes next is due at once.
      proxy.onRequest = (operation, body) => {
        if (operation === 'UpdateItem' && body.includes('#tat + :interval')) {
          proxy.onRequest = undefined;
          clock.advance(2_000);
        }
      };

      expect(await b.take('caller#user:race', limit, clock.now() + 60_000)).toEqual({
        allowed: true,
        retryAfterSeconds: 0,
      });
    } finally {
      await proxy.stop();
      await db.stop();
    }
  });

  it('tells a request whose key changed under every step the wait the last state gives, not a second', async () => {
    // A stream queue about 9 s deep that moves on under each write: every condition fails, each time with the
    // item as it now is (as DynamoDB returns it). Not reproducible on dynalite at will, hence a scripted store.
    const clock = new FakeClock();
    const now = clock.now();
    let qtat = now + 9_000;
    const table: AdmissionTable = {
      clock,
      read: () => Promise.resolve({ tat: now + 5_000, qtat }),
      write: () => {
        qtat += 100;
        return Promise.reject(new ConditionFailedError({ tat: now + 5_000, qtat }));
      },
      update: () => Promise.reject(new Error('not used')),
    };
    const stream: RateLimit = { ratePerSecond: 20, burst: 5, maxQueueSeconds: 10 };

    const decision = await createDynamoDbRateLimiter({ table }).take('stream#hot', stream, now + 4_000);

    expect(decision.allowed).toBe(false);
    // Behind the queue's end (about 9.6 s), where a fixed second sent it ahead of everyone told 9–10 s.
    expect(decision.retryAfterMs).toBeGreaterThan(9_000);
    expect(decision.retryAfterSeconds).toBe(10);
  });

  it('counts a reset connection as worth another attempt, as the SDK names it outside a test sandbox', () => {
    // What @smithy/node-http-handler rejects with on ECONNRESET, EPIPE and ETIMEDOUT. Under jest the SDK wraps
    // it (the error comes from another realm), which hides its name from the test above; in the function it
    // arrives as is.
    const reset = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
    expect(isRetryableTableError(reset)).toBe(true);
    expect(isRetryableTableError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(false);
    const validation = Object.assign(new Error('bad'), {
      name: 'ValidationException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(isRetryableTableError(validation)).toBe(false);
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(isRetryableTableError(throttled)).toBe(true);
  });

  it('throws the typed error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const table = createAdmissionTable({
      tableName: TABLE,
      region: REGION,
      endpoint: `http://127.0.0.1:${port}`,
      credentials,
    });

    await expect(
      createDynamoDbRateLimiter({ table }).take('caller#user:bob', limit, Date.now() + 1_000),
    ).rejects.toBeInstanceOf(AdmissionUnavailableError);
  });

  it('throws the typed error when the table does not exist', async () => {
    const db = await startDynalite();
    try {
      const table = createAdmissionTable({
        tableName: 'missing',
        region: REGION,
        endpoint: db.endpoint,
        credentials,
      });
      await expect(
        createDynamoDbRateLimiter({ table }).take('caller#user:carol', limit, Date.now() + 2_000),
      ).rejects.toThrow('The admission table is unavailable.');
    } finally {
      await db.stop();
    }
  });
});
