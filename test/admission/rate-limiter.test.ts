import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdmissionUnavailableError, type RateLimit } from '../../lambda/core/admission';
import { UpstreamUnavailableError } from '../../lambda/core/errors';
import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import {
  boundedKey,
  createAdmissionTable,
  type AdmissionTableOptions,
} from '../../lambda/adapters/admission/admission-table';
import { credentials, REGION, startDynalite, useAdmissionTable } from './support/admission-table';

const TABLE = 'admission-callers';
const limit: RateLimit = { ratePerSecond: 2, burst: 5 };

describe('DynamoDB token bucket shared by two instances (dynalite)', () => {
  const store = useAdmissionTable(TABLE);
  let keyCounter = 0;
  const freshKey = () => `caller#user:test-${(keyCounter += 1)}`;

  const twoInstances = (overrides: Partial<AdmissionTableOptions> = {}) =>
    [
      createDynamoDbRateLimiter({ table: store.instance(overrides) }),
      createDynamoDbRateLimiter({ table: store.instance(overrides) }),
    ] as const;

  it('lets a burst through across both instances, then refuses with Retry-After', async () => {
    const [a, b] = twoInstances();
    const key = freshKey();

    const decisions = [];
    for (let i = 0; i < 6; i += 1) decisions.push(await (i % 2 === 0 ? a : b).take(key, limit));

    expect(decisions.slice(0, 5).every((decision) => decision.allowed)).toBe(true);
    expect(decisions[5]).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills with time on the shared clock, at the configured rate', async () => {
    const [a, b] = twoInstances();
    const key = freshKey();
    for (let i = 0; i < 5; i += 1) await a.take(key, limit);
    expect((await b.take(key, limit)).allowed).toBe(false);

    store.clock.advance(499);
    expect((await b.take(key, limit)).allowed).toBe(false);
    store.clock.advance(1);
    expect((await b.take(key, limit)).allowed).toBe(true);
    expect((await a.take(key, limit)).allowed).toBe(false);

    store.clock.advance(1_000);
    expect((await a.take(key, limit)).allowed).toBe(true);
    expect((await b.take(key, limit)).allowed).toBe(true);
    expect((await a.take(key, limit)).allowed).toBe(false);
  });

  it('computes Retry-After from the missing tokens', async () => {
    const [a] = twoInstances();
    const key = freshKey();
    const slow: RateLimit = { ratePerSecond: 0.2, burst: 1 };

    expect((await a.take(key, slow)).allowed).toBe(true);
    expect(await a.take(key, slow)).toEqual({ allowed: false, retryAfterSeconds: 5 });
    store.clock.advance(2_500);
    expect(await a.take(key, slow)).toEqual({ allowed: false, retryAfterSeconds: 3 });
  });

  it('never admits more than the burst when both instances race on one key', async () => {
    const [a, b] = twoInstances({ maxAttempts: 50 });
    const key = freshKey();
    const refusedBefore = store.db.refusedRequests();

    const decisions = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).take(key, limit)),
    );

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
    // The races were real: some conditional writes lost and were retried on a fresh read.
    expect(store.db.refusedRequests()).toBeGreaterThan(refusedBefore);
    const item = await store.storedItem(key);
    expect(item?.tokens).toBeCloseTo(0, 9);
  });

  it('refuses (rather than admits) when every attempt loses the race', async () => {
    const contended: string[] = [];
    const one = store.instance({ maxAttempts: 1 });
    const two = store.instance({ maxAttempts: 1 });
    const a = createDynamoDbRateLimiter({ table: one, onContention: (key) => contended.push(key) });
    const b = createDynamoDbRateLimiter({ table: two, onContention: (key) => contended.push(key) });
    const key = freshKey();
    const roomy: RateLimit = { ratePerSecond: 100, burst: 100 };

    const decisions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).take(key, roomy)),
    );

    const refused = decisions.filter((decision) => !decision.allowed);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((decision) => decision.retryAfterSeconds === 1)).toBe(true);
    expect(contended).toHaveLength(refused.length);
    expect(new Set(contended)).toEqual(new Set([key]));
  });

  it('stores a version and a TTL at which the idle bucket is full again', async () => {
    const [a] = twoInstances();
    const key = freshKey();

    await a.take(key, limit);
    await a.take(key, limit);

    const item = await store.storedItem(key);
    expect(item).toMatchObject({ pk: key, v: 2, tokens: 3, refilledAt: store.clock.current });
    // Two tokens missing at 2/s: full after one second; TTL in epoch seconds, rounded up.
    expect(item?.ttl).toBe(Math.ceil((store.clock.current + 1_000) / 1000) + 1);
  });

  it('corrects a stale remembered state through the version condition', async () => {
    const [a, b] = twoInstances();
    const key = freshKey();
    await a.take(key, limit);
    for (let i = 0; i < 4; i += 1) await b.take(key, limit);

    // `a` remembers 4 tokens left; the table holds 0: its write must fail and be redone on a fresh read.
    expect((await a.take(key, limit)).allowed).toBe(false);
    expect((await store.storedItem(key))?.v).toBe(5);
  });

  it('keeps separate buckets per key', async () => {
    const [a] = twoInstances();
    const first = freshKey();
    const second = freshKey();
    for (let i = 0; i < 5; i += 1) await a.take(first, limit);

    expect((await a.take(first, limit)).allowed).toBe(false);
    expect((await a.take(second, limit)).allowed).toBe(true);
  });

  it('shortens keys longer than DynamoDB comfortably holds to a digest', async () => {
    const [a] = twoInstances();
    const long = `caller#user:${'x'.repeat(3_000)}`;

    expect((await a.take(long, limit)).allowed).toBe(true);
    const item = await store.storedItem(boundedKey(long));
    expect(item?.pk).toMatch(/^sha256#[0-9a-f]{64}$/);
    expect(item?.tokens).toBe(4);
  });

  it('rejects a nonsensical limit before touching the table', async () => {
    const [a] = twoInstances();
    await expect(a.take(freshKey(), { ratePerSecond: 0, burst: 5 })).rejects.toThrow(RangeError);
    await expect(a.take(freshKey(), { ratePerSecond: 1, burst: 0.5 })).rejects.toThrow(RangeError);
  });
});

describe('DynamoDB token bucket when the store fails', () => {
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

  it('throws the typed error (a 503 unless the caller decides otherwise) when the store hangs', async () => {
    const table = createAdmissionTable({
      tableName: TABLE,
      region: REGION,
      endpoint,
      credentials,
      timeoutMs: 200,
    });
    const limiter = createDynamoDbRateLimiter({ table });

    const taking = limiter.take('caller#user:alice', limit);

    await expect(taking).rejects.toBeInstanceOf(AdmissionUnavailableError);
    await expect(taking).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(taking).rejects.toThrow('did not answer in time');
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
      timeoutMs: 5_000,
    });

    await expect(createDynamoDbRateLimiter({ table }).take('caller#user:bob', limit)).rejects.toBeInstanceOf(
      AdmissionUnavailableError,
    );
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
      await expect(createDynamoDbRateLimiter({ table }).take('caller#user:carol', limit)).rejects.toThrow(
        'The admission table is unavailable.',
      );
    } finally {
      await db.stop();
    }
  });
});
