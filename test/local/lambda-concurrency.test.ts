import { startGuardedStack, type GuardedStack, type RawAnswer } from '../support/guarded-stack';

/** The JSON log lines of everything the stack wrote while the guard ran. */
function jsonLines(env: GuardedStack): Record<string, unknown>[] {
  return env.guard
    .lines()
    .flatMap((write) => write.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface AuditLine {
  correlation_id?: string;
  audit: { requestId: string; outcome: string };
}

const auditLines = (env: GuardedStack): AuditLine[] =>
  jsonLines(env).filter((line): line is Record<string, unknown> & AuditLine => 'audit' in line);

interface SystemLine {
  type: string;
  record: { instanceId?: string; requestId?: string; status?: string; metrics?: { durationMs: number } };
}

/** Lines of the vend function only: the media and admin functions' instances are `media-instance-<n>`, `admin-instance-<n>`. */
const systemLines = (env: GuardedStack, type: string): SystemLine[] =>
  jsonLines(env).filter(
    (line): line is Record<string, unknown> & SystemLine =>
      line.type === type && !/^(media|admin)-/.test((line as unknown as SystemLine).record?.instanceId ?? ''),
  );

const SERVICE_NAME = 'vend-under-overlap';
const VEND = '/v1/streams/front-door/playback-url';
const LIFTED_QUOTAS = {
  sessionUrlPerStream: 100_000,
  getDataEndpointPerStream: 100_000,
  getDataEndpointPerAccount: 100_000,
};

describe('the local function under overlapping requests', () => {
  let env: GuardedStack;

  beforeAll(async () => {
    env = await startGuardedStack({
      env: {
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        KVS_CALL_TIMEOUT_MS: '3000',
      },
      // Every instance fetches its own data endpoint, as a cold fleet does: the per-stream quotas would
      // throttle the bursts, and KVS throttling is not what this file is about.
      emulator: { quotas: LIFTED_QUOTAS },
    });
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.stack.emulator.setFaults({});
    env.guard.assertNoLeaks();
  });

  it('serves sequential requests with one warm instance, initialised before the first request', async () => {
    const token = env.token('alice');

    const answers = [];
    for (let index = 0; index < 4; index += 1) answers.push(await env.send({ path: VEND, token, json: {} }));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(env.stack.lambda.stats()).toMatchObject({ instances: 1, busy: 0, coldStarts: 1, throttles: 0 });
    const coldStarts = systemLines(env, 'platform.initReport');
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]!.record).toMatchObject({ instanceId: 'instance-1', status: 'success' });
    expect(coldStarts[0]!.record.metrics!.durationMs).toBeGreaterThan(0);
  });

  it('starts one instance per overlapping request, each cold start in the log with its init duration', async () => {
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 500 } });
    const token = env.token('alice');

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => env.send({ path: VEND, token, json: {} })),
    );

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    // The warm instance took one request; four more started for the others.
    expect(env.stack.lambda.stats()).toMatchObject({ instances: 5, busy: 0, coldStarts: 5 });
    const coldStarts = systemLines(env, 'platform.initReport');
    expect(new Set(coldStarts.map((line) => line.record.instanceId))).toEqual(
      new Set(['instance-1', 'instance-2', 'instance-3', 'instance-4', 'instance-5']),
    );
    for (const line of coldStarts) expect(line.record.metrics!.durationMs).toBeGreaterThan(0);
    // Each new instance was cold: its first invocation says so in every log line.
    const vended = auditLines(env).slice(-5) as unknown as { cold_start: boolean }[];
    expect(vended.filter((line) => line.cold_start)).toHaveLength(4);
  });

  it('writes every audit line with its own request id as correlation id', async () => {
    // KVS answers slowly, so each request is still running when the others start.
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 300 } });
    const alice = env.token('alice');
    const bob = env.token('bob');
    const sam = env.token('sam', ['security']);
    const requests: Promise<RawAnswer>[] = [];
    for (let index = 0; index < 8; index += 1) {
      requests.push(env.send({ path: '/v1/streams/front-door/playback-url', token: alice, json: {} }));
      requests.push(env.send({ path: '/v1/streams/backyard/playback-url', token: sam, json: {} }));
      requests.push(env.send({ path: '/v1/streams/front-door/playback-url', token: bob, json: {} }));
    }

    const answers = await Promise.all(requests);

    const requestIds = answers.map((answer) => String(answer.headers['x-amzn-requestid']));
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      ...Array<number>(16).fill(200),
      ...Array<number>(8).fill(403),
    ]);
    const lines = auditLines(env).filter((line) => requestIds.includes(line.audit.requestId));
    // One audit line per request: 16 vends and 8 denials.
    expect(lines).toHaveLength(24);
    expect(new Set(lines.map((line) => line.audit.requestId))).toEqual(new Set(requestIds));
    const mixed = lines.filter((line) => line.correlation_id !== line.audit.requestId);
    expect(mixed).toEqual([]);
    // Every instance got the function's environment.
    expect(new Set(lines.map((line) => (line as unknown as { service: string }).service))).toEqual(
      new Set([SERVICE_NAME]),
    );
    // One request per instance: an instance started for every invocation that found none idle, so as
    // many instances as requests were ever in flight at once (however many this machine overlapped).
    const stats = env.stack.lambda.stats();
    expect(stats.peakInFlight).toBeGreaterThan(1);
    expect(stats.instances).toBe(stats.peakInFlight);
  });
});

describe('the local function beyond its concurrency', () => {
  let env: GuardedStack;

  beforeAll(async () => {
    env = await startGuardedStack({
      lambdaConcurrency: 2,
      env: { POWERTOOLS_METRICS_DISABLED: 'true', KVS_CALL_TIMEOUT_MS: '3000' },
      emulator: { quotas: LIFTED_QUOTAS },
    });
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.stack.emulator.setFaults({});
    env.guard.assertNoLeaks();
  });

  it('answers as API Gateway does when Lambda refuses the invocation: 500, customised as INTERNAL (DEFAULT_5XX)', async () => {
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 600 } });
    const token = env.token('alice');

    const answers = await Promise.all(
      Array.from({ length: 3 }, () => env.send({ path: VEND, token, json: {} })),
    );
    env.stack.emulator.setFaults({});
    const after = await env.send({ path: VEND, token, json: {} });

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 500]);
    const refused = answers.find((answer) => answer.status === 500)!;
    expect(refused.json).toEqual({
      error: {
        code: 'INTERNAL',
        message: 'Something went wrong on our side.',
        requestId: refused.headers['x-amzn-requestid'],
      },
    });
    expect(refused.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(after.status).toBe(200);
    expect(env.stack.lambda.stats()).toMatchObject({ instances: 2, throttles: 1 });
    expect(systemLines(env, 'local.throttle')).toHaveLength(1);
  });

  it('names in each throttle line the request id the refused client got (body and x-amzn-RequestId)', async () => {
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 600 } });
    const token = env.token('alice');
    const before = systemLines(env, 'local.throttle').length;

    const answers = await Promise.all(
      Array.from({ length: 6 }, () => env.send({ path: VEND, token, json: {} })),
    );

    const refused = answers.filter((answer) => answer.status === 500);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    const clientIds = refused.map((answer) => {
      const id = String(answer.headers['x-amzn-requestid']);
      expect((answer.json as { error: { requestId: string } }).error.requestId).toBe(id);
      return id;
    });
    const logged = systemLines(env, 'local.throttle')
      .slice(before)
      .map((line) => line.record.requestId);
    expect(logged.sort()).toEqual(clientIds.sort());
  });
});
