import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createDynamoDbSessionLog } from '../../lambda/adapters/sessions/dynamodb-session-log';
import { createDynamoDbSessionQuery } from '../../lambda/adapters/sessions/session-query';
import { UpstreamUnavailableError } from '../../lambda/core/errors';
import type { SessionRecord } from '../../lambda/core/sessions';
import { LOCAL_CREDENTIALS, startLocalDynamoDb, type RunningDynamoDb } from '../../local/dynamodb';
import { FakeClock } from '../admission/support/admission-table';

const TABLE = 'sessions';
const MINUTE = 60_000;

describe('the session log and the session cap in DynamoDB (dynalite)', () => {
  let db: RunningDynamoDb;
  let client: DynamoDBClient;
  const clock = new FakeClock();
  let sequence = 0;

  beforeAll(async () => {
    db = await startLocalDynamoDb({ sessionsTableName: TABLE });
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await db?.stop();
  });

  /** A log as one instance of the function holds it (its own client). */
  const log = () =>
    createDynamoDbSessionLog({
      tableName: TABLE,
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: LOCAL_CREDENTIALS,
      clock,
      timeoutMs: 5000,
    });
  const query = () =>
    createDynamoDbSessionQuery({
      tableName: TABLE,
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: LOCAL_CREDENTIALS,
      clock,
    });
  const freshUser = () => `user:viewer-${(sequence += 1)}`;
  const session = (principal: string, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
    principal,
    grantPrincipal: principal,
    stream: 'front-door',
    protocol: 'HLS',
    playbackMode: 'LIVE',
    expiresAt: clock.current + 5 * MINUTE,
    createdAt: clock.current,
    requestId: `request-${(sequence += 1)}`,
    sourceIp: '192.0.2.1',
    userAgent: 'player/1.0',
    ...overrides,
  });
  const outstanding = async (principal: string) =>
    (await query().list({ principal }, { limit: 100 })).sessions.length;

  it('records every vend with who, what, when and from where, expiring at its end, never a URL', async () => {
    const user = freshUser();
    const record = session(user, {
      grantPrincipal: 'group:security',
      playbackMode: 'ON_DEMAND',
      start: clock.current - 10 * MINUTE,
      end: clock.current - 5 * MINUTE,
      userAgent: 'x'.repeat(600),
    });

    expect(await log().open(record)).toBe(true);

    const items = ((await client.send(new ScanCommand({ TableName: TABLE }))).Items ?? [])
      .map((item) => unmarshall(item))
      .filter((item) => item.principal === user);
    expect(items).toEqual([
      {
        principal: user,
        sessionKey: `${new Date(record.expiresAt).toISOString()}#${record.requestId}`,
        grantPrincipal: 'group:security',
        stream: 'front-door',
        protocol: 'HLS',
        playbackMode: 'ON_DEMAND',
        start: new Date(record.start!).toISOString(),
        end: new Date(record.end!).toISOString(),
        expiresAt: new Date(record.expiresAt).toISOString(),
        createdAt: new Date(record.createdAt).toISOString(),
        requestId: record.requestId,
        sourceIp: '192.0.2.1',
        userAgent: 'x'.repeat(512),
        ttl: Math.ceil(record.expiresAt / 1000),
      },
    ]);
    // The admin API finds it by principal, by stream, and by the group whose grant allowed it.
    const page = await query().list({ grantPrincipal: 'group:security' }, { limit: 100 });
    expect(page.sessions.filter((entry) => entry.principal === user)).toHaveLength(1);
    const byStream = await query().list({ stream: 'front-door' }, { limit: 100 });
    expect(byStream.sessions.some((entry) => entry.requestId === record.requestId)).toBe(true);
  });

  it('opens up to the cap, across instances, then refuses and leaves no record of the refused vend', async () => {
    const [a, b] = [log(), log()];
    const user = freshUser();

    expect(await a.open(session(user), 2)).toBe(true);
    expect(await b.open(session(user, { expiresAt: clock.current + 10 * MINUTE }), 2)).toBe(true);
    expect(await a.open(session(user), 2)).toBe(false);
    expect(await b.open(session(user), 2)).toBe(false);

    expect(await outstanding(user)).toBe(2);
    // Another user is counted apart.
    expect(await a.open(session(freshUser()), 1)).toBe(true);
  });

  it('counts a session until its expiresAt, then frees its slot', async () => {
    const user = freshUser();
    await log().open(session(user, { expiresAt: clock.current + 5 * MINUTE }), 2);
    await log().open(session(user, { expiresAt: clock.current + 10 * MINUTE }), 2);

    clock.advance(5 * MINUTE - 1);
    expect(await log().open(session(user, { expiresAt: clock.current + MINUTE }), 2)).toBe(false);
    clock.advance(1);
    expect(await log().open(session(user, { expiresAt: clock.current + MINUTE }), 2)).toBe(true);

    const bound = await query().bound({ principal: user });
    expect(bound).toEqual({ outstanding: 2, latestExpiresAt: clock.current + 5 * MINUTE });
  });

  it('never lets racing instances exceed the cap', async () => {
    const instances = [log(), log(), log(), log()];
    const user = freshUser();
    await instances[0]!.open(session(user), 3);
    await instances[1]!.open(session(user), 3);

    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) => instances[index % 4]!.open(session(user), 3)),
    );

    expect(results.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await outstanding(user)).toBe(2 + results.filter(Boolean).length);
  });

  it('gives a slot back when the vend failed after opening it', async () => {
    const user = freshUser();
    const first = session(user);
    await log().open(first, 1);

    await log().discard(first);

    expect(await log().open(session(user), 1)).toBe(true);
    expect(await outstanding(user)).toBe(1);
  });

  it('fails closed when the table cannot be reached', async () => {
    const down = createDynamoDbSessionLog({
      tableName: 'no-such-table',
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: LOCAL_CREDENTIALS,
      clock,
    });
    await expect(down.open(session(freshUser()))).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});
