import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { UpstreamUnavailableError } from '../../lambda/core/errors';
import {
  createDynamoDbGrantStore,
  type DynamoDbGrantStoreOptions,
  type InvalidRecord,
} from '../../lambda/adapters/grants/dynamodb-grant-store';
import { CONTROL_ITEM_KEY } from '../../lambda/adapters/grants/grants-table';

const dynalite = createRequire(__filename)('dynalite') as (options: { createTableMs: number }) => Server;

const TABLE = 'grants';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

class FakeClock {
  current = 1_800_000_000_000;
  now(): number {
    return this.current;
  }
}

const record = (principal: string, grantId: string, extra: Record<string, unknown> = {}) => ({
  principal,
  grantId,
  streams: ['front-door'],
  playbackModes: ['LIVE'],
  protocols: ['HLS'],
  maxExpiresInSeconds: 300,
  ...extra,
});

describe('DynamoDB grant store against dynalite', () => {
  let server: Server;
  let endpoint: string;
  let admin: DynamoDBClient;
  let queries: number;
  let gets: number;

  const store = (overrides: Partial<DynamoDbGrantStoreOptions> = {}) =>
    createDynamoDbGrantStore({
      tableName: TABLE,
      region: 'us-east-1',
      endpoint,
      credentials,
      cacheTtlMs: 30_000,
      timeoutMs: 5_000,
      ...overrides,
    });

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0 });
    server.on('request', (req: { headers: Record<string, string | undefined> }) => {
      if (req.headers['x-amz-target']?.endsWith('.Query')) queries += 1;
      if (req.headers['x-amz-target']?.endsWith('.GetItem')) gets += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    admin = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials });
    await admin.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [
          { AttributeName: 'principal', AttributeType: 'S' },
          { AttributeName: 'grantId', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'principal', KeyType: 'HASH' },
          { AttributeName: 'grantId', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const items = [
      record('user:alice', 'front-door', {
        playbackModes: ['LIVE', 'ON_DEMAND', 'LIVE_REPLAY'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 900,
        archiveWindowSeconds: 86400,
        notAfter: '2027-01-01T00:00:00Z',
      }),
      record('user:bob', 'backyard', { streams: ['backyard'] }),
      record('group:security', 'all', { streams: ['*'], maxExpiresInSeconds: 3600 }),
      ...Array.from({ length: 7 }, (_, i) => record('partner:many', `g${i}`, { streams: [`cam-${i}`] })),
      record('user:carol', 'good', { streams: ['garage'] }),
      record('user:carol', 'bad', { protocols: ['RTSP'] }),
      record('user:carol', 'typo', { notafter: '2020-01-01T00:00:00Z' }),
    ];
    for (let i = 0; i < items.length; i += 25) {
      await admin.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TABLE]: items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item) } })),
          },
        }),
      );
    }
  });

  afterAll(async () => {
    admin.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    queries = 0;
    gets = 0;
  });

  const bumpEpoch = () =>
    admin.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: marshall(CONTROL_ITEM_KEY),
        UpdateExpression: 'ADD epoch :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );

  describe('freshness: the control epoch', () => {
    it('reads the epoch once per call (one GetItem) and serves the cache while it stays', async () => {
      const s = store();
      await s.grantsFor(['user:bob', 'user:nobody']);
      await s.grantsFor(['user:bob', 'user:nobody']);
      await s.accessFor!(['user:bob']);
      expect(gets).toBe(3);
      expect(queries).toBe(2);
    });

    it('reloads what it cached, within the TTL, once the epoch moved: a change counts from the next call', async () => {
      const s = store({ cacheTtlMs: 3_600_000 });
      expect((await s.grantsFor(['user:epoch'])).map((g) => g.grantId)).toEqual([]);
      await admin.send(
        new PutItemCommand({ TableName: TABLE, Item: marshall(record('user:epoch', 'given')) }),
      );
      // Without the epoch moving, the cache still answers (as a write around the admin API would find).
      expect(await s.grantsFor(['user:epoch'])).toEqual([]);
      await bumpEpoch();
      expect((await s.grantsFor(['user:epoch'])).map((g) => g.grantId)).toEqual(['given']);
      await admin.send(
        new DeleteItemCommand({
          TableName: TABLE,
          Key: marshall({ principal: 'user:epoch', grantId: 'given' }),
        }),
      );
      await bumpEpoch();
      expect(await s.grantsFor(['user:epoch'])).toEqual([]);
    });

    it('does not read the epoch when asked not to (the cache TTL alone then decides)', async () => {
      const s = store({ epochCheck: false });
      await s.grantsFor(['user:bob']);
      await s.grantsFor(['user:bob']);
      expect(gets).toBe(0);
      expect(queries).toBe(1);
    });
  });

  describe('revocations', () => {
    it("reads a principal's revocation with its grants, in the same Query", async () => {
      await admin.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: marshall({
            principal: 'user:revoked',
            grantId: '#revocation',
            revokedAt: '2026-11-25T12:00:00Z',
            revokedBy: 'arn:aws:iam::123456789012:user/ops',
            reason: 'shared account',
            until: '2027-01-01T00:00:00Z',
            ttl: 1798848000,
          }),
        }),
      );
      await admin.send(
        new PutItemCommand({ TableName: TABLE, Item: marshall(record('user:revoked', 'own')) }),
      );
      const access = await store().accessFor!(['user:revoked', 'user:bob']);
      expect(queries).toBe(2);
      expect(access.grants.map((g) => g.grantId)).toEqual(['own', 'backyard']);
      expect(access.revocations).toEqual([
        {
          principal: 'user:revoked',
          revokedAt: Date.UTC(2026, 10, 25, 12),
          revokedBy: 'arn:aws:iam::123456789012:user/ops',
          reason: 'shared account',
          until: Date.UTC(2027, 0, 1),
        },
      ]);
    });

    it('reads a revocation it cannot parse as in force, without an end, and reports it', async () => {
      await admin.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: marshall({ principal: 'user:garbled', grantId: '#revocation', revokedAt: 'yesterday' }),
        }),
      );
      const invalid: InvalidRecord[] = [];
      const access = await store({ onInvalidRecord: (item) => invalid.push(item) }).accessFor!([
        'user:garbled',
      ]);
      expect(access.revocations).toEqual([{ principal: 'user:garbled', revokedAt: 0 }]);
      expect(invalid).toEqual([
        { principal: 'user:garbled', grantId: '#revocation', problems: [expect.any(String) as unknown] },
      ]);
    });

    it("sets aside a grant's metadata (version, who wrote it, the stack's mark): it grants nothing", async () => {
      await admin.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: marshall(
            record('partner:stack', 'managed', {
              version: 3,
              updatedAt: '2026-11-25T12:00:00Z',
              updatedBy: 'arn:aws:iam::123456789012:user/ops',
              managedBy: 'stack',
            }),
          ),
        }),
      );
      const grants = await store().grantsFor(['partner:stack']);
      expect(grants).toEqual([
        {
          principal: 'partner:stack',
          grantId: 'managed',
          streams: ['front-door'],
          playbackModes: ['LIVE'],
          protocols: ['HLS'],
          maxExpiresInSeconds: 300,
        },
      ]);
    });
  });

  it('reads the grants of each principal, typed as the domain model', async () => {
    const grants = await store().grantsFor(['user:alice', 'group:security', 'user:nobody']);
    expect(grants).toEqual([
      {
        principal: 'user:alice',
        grantId: 'front-door',
        streams: ['front-door'],
        playbackModes: ['LIVE', 'ON_DEMAND', 'LIVE_REPLAY'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 900,
        archiveWindowSeconds: 86400,
        notAfter: Date.UTC(2027, 0, 1),
      },
      {
        principal: 'group:security',
        grantId: 'all',
        streams: ['*'],
        playbackModes: ['LIVE'],
        protocols: ['HLS'],
        maxExpiresInSeconds: 3600,
      },
    ]);
    expect(queries).toBe(3);
  });

  it('serves a principal from its cache within the TTL and asks again after it', async () => {
    const clock = new FakeClock();
    const s = store({ clock, cacheTtlMs: 30_000 });
    await s.grantsFor(['user:bob', 'user:nobody']);
    clock.current += 29_999;
    const cached = await s.grantsFor(['user:bob', 'user:nobody']);
    expect(cached.map((g) => g.grantId)).toEqual(['backyard']);
    expect(queries).toBe(2);

    await admin.send(new PutItemCommand({ TableName: TABLE, Item: marshall(record('user:nobody', 'new')) }));
    clock.current += 1;
    const fresh = await s.grantsFor(['user:bob', 'user:nobody']);
    expect(queries).toBe(4);
    expect(fresh.map((g) => g.grantId)).toEqual(['backyard', 'new']);
  });

  it('coalesces concurrent lookups of one principal into one Query', async () => {
    const s = store();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => s.grantsFor(['user:alice', 'user:alice'])),
    );
    expect(results.every((r) => r.length === 1)).toBe(true);
    expect(queries).toBe(1);
  });

  it('reads every page of a principal', async () => {
    const grants = await store({ pageSize: 2 }).grantsFor(['partner:many']);
    expect(grants.map((g) => g.grantId)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
    expect(queries).toBe(4);
  });

  it('skips records that fail validation and reports each: principal, grantId and the fields at fault, never a value', async () => {
    const invalid: InvalidRecord[] = [];
    const grants = await store({ onInvalidRecord: (record) => invalid.push(record) }).grantsFor([
      'user:carol',
    ]);
    expect(grants.map((g) => g.grantId)).toEqual(['good']);
    expect(invalid).toEqual([
      {
        principal: 'user:carol',
        grantId: 'bad',
        problems: [expect.stringMatching(/^protocols\.0: expected one of HLS, DASH$/) as unknown],
      },
      { principal: 'user:carol', grantId: 'typo', problems: ['notafter: unknown field'] },
    ]);
    // The offending values (RTSP, the date) appear nowhere in what is reported.
    expect(JSON.stringify(invalid)).not.toMatch(/RTSP|2020-01-01/);
  });

  it('accepts string sets where lists are expected', async () => {
    const item: Record<string, AttributeValue> = {
      ...marshall(record('user:sets', 'ss')),
      streams: { SS: ['a', 'b*'] },
    };
    await admin.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    const grants = await store().grantsFor(['user:sets']);
    expect([...(grants[0]?.streams ?? [])].sort()).toEqual(['a', 'b*']);
  });

  it('reads producerTimestamps as a BOOL and refuses it as a string (a record that cannot grant)', async () => {
    const invalid: string[] = [];
    await admin.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          ...marshall(record('user:producer', 'bool', { archiveWindowSeconds: 600 })),
          producerTimestamps: { BOOL: true },
        },
      }),
    );
    await admin.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          ...marshall(record('user:producer', 'text', { archiveWindowSeconds: 600 })),
          producerTimestamps: { S: 'true' },
        },
      }),
    );
    const grants = await store({
      onInvalidRecord: (record) => invalid.push(...record.problems),
    }).grantsFor(['user:producer']);
    expect(grants.map((g) => [g.grantId, g.producerTimestamps])).toEqual([['bool', true]]);
    expect(invalid.join('\n')).toMatch(/producerTimestamps/);
  });

  it('fails closed with UpstreamUnavailableError when the table does not exist', async () => {
    await expect(store({ tableName: 'absent' }).grantsFor(['user:alice'])).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('fails closed when the server is down, on every call', async () => {
    const down = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const s = store({ endpoint: `http://127.0.0.1:${port}` });
    await expect(s.grantsFor(['user:alice'])).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(s.grantsFor(['user:alice'])).rejects.toThrow('The grants store is unavailable.');
  });

  it('fails closed when the server does not answer within the deadline', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const s = store({
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        timeoutMs: 200,
      });
      await expect(s.grantsFor(['user:alice'])).rejects.toBeInstanceOf(UpstreamUnavailableError);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
