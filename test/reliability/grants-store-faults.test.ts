import { startLocalDynamoDb, type RunningDynamoDb } from '../../local/dynamodb';
import { isErrorShape, startGuardedStack, type GuardedStack, type RawAnswer } from '../support/guarded-stack';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The grants table down (its DynamoDB-compatible server stopped) or hanging: every request that needs
 * grants fails closed with 503 and no URL, KVS is never asked, and service resumes once the table is
 * back, without a restart. The handler reaches the table through a TCP proxy so a hang can be injected;
 * "down" really stops the dynalite server behind it.
 */
const FUNCTION_TIMEOUT_MS = 10_000;

describe('vending while the grants store is down or slow', () => {
  const proxy = new TcpProxy();
  let table: RunningDynamoDb;
  let env: GuardedStack;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    table = await startLocalDynamoDb({ port: 0, sessionsTableName: 'faults-sessions' });
    await proxy.start();
    proxy.targetPort = table.port;
    env = await startGuardedStack({
      env: {
        DYNAMODB_ENDPOINT: proxy.endpoint,
        GRANTS_TABLE_NAME: table.tableName,
        // The session log on the same server: the vend records the session there.
        SESSIONS_TABLE_NAME: table.sessionsTableName!,
        // Every request goes to the table, so an outage shows at once instead of after the cache TTL.
        GRANTS_CACHE_TTL_SECONDS: '0',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    tokens.alice = env.token('alice');
    tokens.sam = env.token('sam', ['security']);
  });
  afterAll(async () => {
    await env?.stop();
    await proxy.stop();
    await table?.stop();
  });
  afterEach(() => {
    env.guard.assertNoLeaks();
  });

  const sessionUrlCalls = (): number => env.stack.emulator.counters().GetHLSStreamingSessionURL ?? 0;
  const requests = (): Promise<RawAnswer[]> =>
    Promise.all([
      env.send({ path: '/v1/streams/front-door/playback-url', token: tokens.alice, json: {} }),
      env.send({ path: '/v1/streams/backyard/playback-url', token: tokens.sam, json: {} }),
      env.send({ path: '/v1/streams', token: tokens.alice }),
      env.send({
        path: '/partner/v1/streams/front-door/playback-url',
        apiKey: env.stack.partners[0]!.apiKey,
        json: {},
      }),
    ]);

  const expectFailedClosed = (answers: readonly RawAnswer[], kvsCallsBefore: number): void => {
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(isErrorShape(answer.json)).toBe(true);
      expect((answer.json as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(answer.text).not.toMatch(/SessionToken|https?:\/\/|dynamo|ECONN/i);
    }
    expect(sessionUrlCalls()).toBe(kvsCallsBefore);
  };

  it('serves every route while the table is up (control)', async () => {
    const answers = await requests();

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  });

  it('table server stopped: 503 on every route, no URL, KVS never called', async () => {
    await table.stop();
    proxy.dropConnections();
    const before = sessionUrlCalls();

    const answers = await requests();

    expectFailedClosed(answers, before);
  });

  it('table server back on the same port: service resumes without a restart', async () => {
    table = await startLocalDynamoDb({ port: table.port, sessionsTableName: 'faults-sessions' });

    const answers = await requests();

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  });

  it('table hanging: 503 once the store deadline passes, long before the function timeout', async () => {
    proxy.mode = 'hang';
    proxy.dropConnections();
    const before = sessionUrlCalls();
    const startedAt = Date.now();

    const answers = await requests();

    expect(Date.now() - startedAt).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expectFailedClosed(answers, before);
  });

  it('table answering again: service resumes', async () => {
    proxy.mode = 'pass';
    proxy.dropConnections();

    const answers = await requests();

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  });

  it('logged the outage without a secret, and the guard saw the vended URLs', () => {
    expect(env.guard.lines().length).toBeGreaterThan(0);
    expect(env.guard.secretCount).toBeGreaterThan(8);
  });
});
