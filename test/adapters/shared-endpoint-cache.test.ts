import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { startKvsEmulator, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createKvsAdapter, type KvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import {
  LEASE_MS,
  REFRESH_AFTER,
  createSharedEndpointCache,
  type SharedEndpointCache,
  type SharedEndpointCacheOptions,
  type SharedEndpointEvent,
} from '../../lambda/adapters/kvs/shared-endpoint-cache';
import {
  credentials,
  REGION,
  startDynalite,
  type RunningDynalite,
} from '../admission/support/admission-table';
import { DynamoDbProxy } from '../admission/support/dynamodb-proxy';

const TABLE = 'endpoint-cache';
const TTL_MS = 1_500_000;
const STREAMS = ['burst-a', 'burst-b', 'burst-c', 'lease-gone', 'table-down', 'warm', 'reset'];

let db: RunningDynalite;
let emulator: RunningEmulator;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await db.admin.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // The service's quotas: 5 GetDataEndpoint per second per stream.
  emulator = await startKvsEmulator({
    port: 0,
    streams: STREAMS.map((name) => ({ name, retentionHours: 1, media: 'fixture-video-only' as const })),
  });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator.stop();
  await db.stop();
});

/** One instance's view of the fleet's cache: its own DynamoDB client, as a Lambda instance has. */
function sharedCache(
  overrides: Partial<SharedEndpointCacheOptions> = {},
  events: SharedEndpointEvent[] = [],
): SharedEndpointCache {
  const client = new DynamoDBClient({ region: REGION, endpoint: db.endpoint, credentials, maxAttempts: 1 });
  clients.push(client);
  return createSharedEndpointCache({
    tableName: TABLE,
    region: REGION,
    client,
    ttlMs: TTL_MS,
    // Far beyond what a loaded machine needs: a table read given up on would fall back to KVS and make
    // the counts below depend on this machine's speed (the tests of give-up and fallback set their own).
    requestTimeoutMs: 15_000,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
}

/** A cold instance: a KVS adapter with an empty cache of its own, and the fleet's cache when given. */
function coldInstance(shared?: SharedEndpointCache): KvsAdapter {
  return createKvsAdapter({
    region: emulator.region,
    endpoint: emulator.endpoint,
    credentials: emulator.credentials,
    callTimeoutMs: 10_000,
    retryBudgetMs: 20_000,
    endpointCacheTtlMs: TTL_MS,
    endpointCacheMaxEntries: 100,
    streamListCacheTtlMs: 30_000,
    ...(shared ? { sharedEndpoints: shared } : {}),
  });
}

const vend = (adapter: KvsAdapter, streamName: string) =>
  adapter.getSessionUrl({
    streamName,
    protocol: 'HLS',
    playbackMode: 'LIVE',
    timestampSource: 'SERVER',
    expiresInSeconds: 300,
  });

/** GetDataEndpoint calls the emulator received for one stream, throttled ones included. */
function dataEndpointCalls(before: Readonly<Record<string, number>>): number {
  const after = emulator.counters();
  return (after.GetDataEndpoint ?? 0) - (before.GetDataEndpoint ?? 0);
}

async function storedEntry(key: string): Promise<Record<string, unknown> | undefined> {
  const output = await db.admin.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `endpoint#${key}` } }, ConsistentRead: true }),
  );
  return output.Item ? unmarshall(output.Item) : undefined;
}

describe('fleet-wide data endpoint cache, cold instances against the KVS emulator and dynalite', () => {
  it('fetches the endpoint once for twenty cold instances vending at the same moment', async () => {
    const events: SharedEndpointEvent[] = [];
    const fleet = Array.from({ length: 20 }, () => coldInstance(sharedCache({}, events)));
    const before = emulator.counters();

    const urls = await Promise.all(fleet.map((instance) => vend(instance, 'burst-a')));

    expect(urls).toHaveLength(20);
    expect(dataEndpointCalls(before)).toBe(1);
    expect(events.filter((event) => event === 'fetched')).toHaveLength(1);
    expect(events.filter((event) => event === 'fallback')).toHaveLength(0);
    const entry = await storedEntry('burst-a#GET_HLS_STREAMING_SESSION_URL');
    expect(String(entry?.endpoint).startsWith(emulator.endpoint)).toBe(true);
    expect(entry).not.toHaveProperty('leaseUntil');
    expect((entry!.expiresAt as number) - (entry!.fetchedAt as number)).toBe(TTL_MS);
  });

  it('without it, the same burst asks KVS once per instance (the test can tell)', async () => {
    const fleet = Array.from({ length: 20 }, () => coldInstance());
    const before = emulator.counters();

    await Promise.allSettled(fleet.map((instance) => vend(instance, 'burst-b')));

    expect(dataEndpointCalls(before)).toBeGreaterThanOrEqual(20);
  });

  it('costs a warm instance no table read: its own cache answers first', async () => {
    const instance = coldInstance(sharedCache());
    await vend(instance, 'warm');
    const before = db.operations();

    for (let i = 0; i < 5; i += 1) await vend(instance, 'warm');

    expect(db.operations()).toEqual(before);
  });

  it('takes the lease over when its holder is gone, and still fetches once', async () => {
    const key = 'lease-gone#GET_HLS_STREAMING_SESSION_URL';
    // An instance took the lease and died before publishing anything.
    await db.admin.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: `endpoint#${key}` },
          leaseUntil: { N: String(Date.now() + LEASE_MS) },
          leaseOwner: { S: 'an-instance-that-died' },
        },
      }),
    );
    const events: SharedEndpointEvent[] = [];
    const fleet = Array.from({ length: 5 }, () => coldInstance(sharedCache({}, events)));
    const before = emulator.counters();
    const started = Date.now();

    await Promise.all(fleet.map((instance) => vend(instance, 'lease-gone')));

    expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE_MS - 50);
    expect(dataEndpointCalls(before)).toBe(1);
    expect(events.filter((event) => event === 'fetched')).toHaveLength(1);
    expect(events.filter((event) => event === 'waited')).toHaveLength(4);
  });

  it('calls KVS directly when the table does not answer: the cache never stands in the way', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const events: SharedEndpointEvent[] = [];
    const instance = coldInstance(
      createSharedEndpointCache({
        tableName: TABLE,
        region: REGION,
        endpoint: `http://127.0.0.1:${port}`,
        credentials,
        ttlMs: TTL_MS,
        requestTimeoutMs: 500,
        onEvent: (event) => events.push(event),
      }),
    );

    await expect(vend(instance, 'table-down')).resolves.toContain('SessionToken');
    expect(events).toEqual(['fallback']);
  });
});

describe('fleet-wide data endpoint cache, a connection reset under a table call', () => {
  it('sends the call once more instead of falling back to KVS without the lease', async () => {
    const proxy = new DynamoDbProxy(db.endpoint);
    await proxy.start();
    try {
      const events: SharedEndpointEvent[] = [];
      const client = new DynamoDBClient({
        region: REGION,
        endpoint: proxy.endpoint,
        credentials,
        maxAttempts: 1,
      });
      clients.push(client);
      const instance = coldInstance(sharedCache({ client }, events));
      // The first read of the entry meets a reset (the connection closed under it, unanswered).
      proxy.resetNext = 1;
      const before = emulator.counters();
      await expect(vend(instance, 'reset')).resolves.toContain('SessionToken');

      expect(events).toEqual(['fetched']);
      expect(dataEndpointCalls(before)).toBe(1);
      expect(proxy.operations().GetItem).toBe(2);
    } finally {
      await proxy.stop();
    }
  });
});

describe('fleet-wide data endpoint cache, the entry itself (dynalite)', () => {
  let keyCounter = 0;
  const freshKey = () => `unit-${(keyCounter += 1)}#GET_HLS_STREAMING_SESSION_URL`;
  const soon = () => Date.now() + 4_000;

  it('drops a failing endpoint for the whole fleet once, however many instances saw it fail', async () => {
    const key = freshKey();
    const events: SharedEndpointEvent[] = [];
    await sharedCache().get(key, () => Promise.resolve('https://old.example'), soon());
    const fleet = Array.from({ length: 6 }, () => sharedCache({}, events));

    await Promise.all(fleet.map((cache) => cache.invalidate(key, 'https://old.example')));

    expect(events).toEqual(['invalidated']);
    expect(await storedEntry(key)).not.toHaveProperty('endpoint');
    // Every instance comes back for an endpoint at once: one fetch for all of them.
    let fetches = 0;
    const fetch = () => {
      fetches += 1;
      return new Promise<string>((resolve) => setTimeout(() => resolve('https://new.example'), 50));
    };
    const endpoints = await Promise.all(fleet.map((cache) => cache.get(key, fetch, soon())));
    expect(new Set(endpoints.map((found) => found.endpoint))).toEqual(new Set(['https://new.example']));
    expect(fetches).toBe(1);
    // A late report about the old endpoint leaves the new one alone.
    await fleet[0]!.invalidate(key, 'https://old.example');
    expect(await storedEntry(key)).toMatchObject({ endpoint: 'https://new.example' });
  });

  it('gives the lease back when KVS fails, so the next instance fetches at once', async () => {
    const key = freshKey();
    const failing = sharedCache().get(key, () => Promise.reject(new Error('KVS down')), soon());
    await expect(failing).rejects.toThrow('KVS down');
    expect(await storedEntry(key)).not.toHaveProperty('leaseUntil');

    const started = Date.now();
    const found = await sharedCache().get(key, () => Promise.resolve('https://up.example'), soon());

    expect(found.endpoint).toBe('https://up.example');
    expect(Date.now() - started).toBeLessThan(LEASE_MS);
  });

  it('refreshes an endpoint late in its life without making anyone wait for it', async () => {
    const key = freshKey();
    let now = 1_800_000_000_000;
    const clock = { now: () => now };
    await sharedCache({ clock }).get(key, () => Promise.resolve('https://first.example'), now + 4_000);
    now += Math.ceil(TTL_MS * REFRESH_AFTER) + 1;
    let release: (endpoint: string) => void = () => undefined;
    const slowFetch = () => new Promise<string>((resolve) => (release = resolve));
    const events: SharedEndpointEvent[] = [];

    const refreshing = sharedCache({ clock }, events).get(key, slowFetch, now + 4_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Meanwhile another instance finds the endpoint due for a refresh that is under way: it uses it as is.
    const meanwhile = await sharedCache({ clock }, events).get(
      key,
      () => Promise.reject(new Error('must not fetch')),
      now + 4_000,
    );
    release('https://second.example');

    expect(meanwhile.endpoint).toBe('https://first.example');
    expect((await refreshing).endpoint).toBe('https://second.example');
    expect(await storedEntry(key)).toMatchObject({ endpoint: 'https://second.example', fetchedAt: now });
    expect(events.sort()).toEqual(['fetched', 'hit']);
  });

  it('lets instances keep an entry until a moment of its refresh window, never past its expiry', async () => {
    const key = freshKey();
    const now = 1_800_000_000_000;
    const clock = { now: () => now };
    const { keepUntil: first } = await sharedCache({ clock, random: () => 0 }).get(
      key,
      () => Promise.resolve('https://kept.example'),
      now + 4_000,
    );
    const { keepUntil: last } = await sharedCache({ clock, random: () => 1 }).get(
      key,
      () => Promise.reject(new Error('must not fetch')),
      now + 4_000,
    );

    expect(first).toBe(now + Math.floor(TTL_MS * REFRESH_AFTER));
    expect(last).toBe(now + TTL_MS);
  });
});
