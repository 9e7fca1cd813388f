import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDbGrantStore } from '../../lambda/adapters/grants/dynamodb-grant-store';
import { LOCAL_CREDENTIALS, startLocalDynamoDb, type RunningDynamoDb } from '../../local/dynamodb';

describe('local DynamoDB grants table', () => {
  let dynamo: RunningDynamoDb;

  beforeAll(async () => {
    dynamo = await startLocalDynamoDb({ port: 0 });
  });
  afterAll(() => dynamo.stop());

  const store = () =>
    createDynamoDbGrantStore({
      tableName: dynamo.tableName,
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: LOCAL_CREDENTIALS,
      cacheTtlMs: 0,
    });

  it('seeds the demo grants of local/grants.json', async () => {
    const grants = await store().grantsFor([
      'user:alice',
      'user:bob',
      'group:security',
      'partner:demo-partner',
    ]);

    expect(dynamo.seeded).toBe(4);
    const byPrincipal = Object.fromEntries(grants.map((grant) => [grant.principal, grant]));
    expect(byPrincipal['user:alice']).toMatchObject({
      streams: ['front-door'],
      playbackModes: ['LIVE', 'ON_DEMAND', 'LIVE_REPLAY'],
    });
    expect(byPrincipal['user:bob']).toMatchObject({ streams: ['backyard'], playbackModes: ['LIVE'] });
    expect(byPrincipal['group:security']).toMatchObject({ streams: ['*'] });
    expect(byPrincipal['partner:demo-partner']).toMatchObject({
      streams: ['front-door'],
      playbackModes: ['LIVE'],
      maxExpiresInSeconds: 300,
    });
  });

  it('stores nothing for principals without grants', async () => {
    await expect(store().grantsFor(['user:mallory'])).resolves.toEqual([]);
  });

  it('refuses to start from an invalid grants file, naming the bad record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvs-grants-'));
    const file = join(dir, 'grants.json');
    writeFileSync(file, JSON.stringify([{ principal: 'user:x', streams: ['a'], playbackModes: ['LIVE'] }]));
    try {
      await expect(startLocalDynamoDb({ port: 0, grantsFile: file })).rejects.toThrow(/grant record #0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the default grantId to records without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvs-grants-'));
    const file = join(dir, 'grants.json');
    const record = {
      principal: 'user:carol',
      streams: ['cam-*'],
      playbackModes: ['LIVE'],
      protocols: ['HLS'],
      maxExpiresInSeconds: 600,
      notAfter: '2030-01-01T00:00:00Z',
    };
    writeFileSync(file, JSON.stringify([record]));
    const other = await startLocalDynamoDb({ port: 0, grantsFile: file });
    try {
      const grants = await createDynamoDbGrantStore({
        tableName: other.tableName,
        region: 'us-east-1',
        endpoint: other.endpoint,
        credentials: LOCAL_CREDENTIALS,
        cacheTtlMs: 0,
      }).grantsFor(['user:carol']);

      expect(grants).toHaveLength(1);
      expect(grants[0]!.grantId).toMatch(/^g-[0-9a-f]{16}$/);
      expect(grants[0]!.notAfter).toBe(Date.parse('2030-01-01T00:00:00Z'));
    } finally {
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
