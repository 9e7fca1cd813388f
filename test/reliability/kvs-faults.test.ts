import { isErrorShape, startGuardedStack, type GuardedStack, type RawAnswer } from '../support/guarded-stack';

/**
 * KVS misbehaving under the whole local stack: the emulator's fault injection (throttling, latency, 5xx,
 * endpoint rotation) against the real handler module with its real KVS adapter. Assertions count what
 * happened (statuses, attempts from the emulator's counters), never how fast it happened; the only time
 * bound is the function timeout, far above the configured deadline.
 */
const CALL_TIMEOUT_MS = 500;
const RETRY_BUDGET_MS = 3000;
/** What the local API gives the handler as its Lambda timeout: the vend must end well before it. */
const FUNCTION_TIMEOUT_MS = 10_000;
const VEND = '/v1/streams/front-door/playback-url';

describe('vending while KVS misbehaves', () => {
  let env: GuardedStack;
  let token: string;

  beforeAll(async () => {
    env = await startGuardedStack({
      env: {
        KVS_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
        KVS_RETRY_BUDGET_MS: String(RETRY_BUDGET_MS),
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      // The service's per-stream quotas would throttle these bursts on their own; the faults under test
      // are the injected ones, so the quotas are lifted.
      emulator: {
        quotas: {
          sessionUrlPerStream: 100_000,
          getDataEndpointPerStream: 100_000,
          getDataEndpointPerAccount: 100_000,
        },
      },
    });
    token = env.token('alice');
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(() => {
    env.stack.emulator.setFaults({});
    env.stack.emulator.resetCounters();
  });
  afterEach(() => {
    env.stack.emulator.setFaults({});
    env.guard.assertNoLeaks();
  });

  const vend = (): Promise<RawAnswer> => env.send({ path: VEND, token, json: {} });

  /** Runs `total` vends, `concurrency` at a time; `onAnswer` sees each answer and its index. */
  const vendMany = async (
    total: number,
    concurrency: number,
    onAnswer?: (index: number) => void,
  ): Promise<RawAnswer[]> => {
    const answers: RawAnswer[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        next += 1;
        const answer = await vend();
        answers.push(answer);
        onAnswer?.(answers.length);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return answers;
  };

  const statuses = (answers: readonly RawAnswer[]): Record<number, number> =>
    answers.reduce<Record<number, number>>((counts, answer) => {
      counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      return counts;
    }, {});

  it('throttling on 30% of KVS calls: at least 99% of vends succeed, the rest are 429 with Retry-After, no 5xx', async () => {
    await vend(); // the data endpoint is cached from here on, as in a warm function
    env.stack.emulator.setFaults({
      errorRate: { '*': { rate: 0.3, error: 'ClientLimitExceeded' } },
      seed: 7,
    });

    const answers = await vendMany(200, 8);

    const counts = statuses(answers);
    const ok = counts[200] ?? 0;
    expect(answers).toHaveLength(200);
    expect(ok / answers.length).toBeGreaterThanOrEqual(0.99);
    expect(ok + (counts[429] ?? 0)).toBe(answers.length);
    for (const answer of answers.filter((candidate) => candidate.status === 429)) {
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((answer.json as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    }
    // The faults really were there: well over a tenth of the session-URL calls were throttled and retried.
    const counters = env.stack.emulator.counters();
    const throttled = counters['GetHLSStreamingSessionURL:ClientLimitExceededException'] ?? 0;
    expect(throttled).toBeGreaterThan(30);
    // Every answered session-URL call is either a vend that succeeded (the warm-up one too) or a throttle.
    expect(counters.GetHLSStreamingSessionURL).toBe(ok + 1 + throttled);
  });

  it('throttling that outlasts the retry budget: 429 RATE_LIMITED with Retry-After, never a 5xx', async () => {
    env.stack.emulator.setFaults({
      errorRate: { GetHLSStreamingSessionURL: { rate: 1, error: 'ClientLimitExceeded' } },
    });

    const answer = await vend();

    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(isErrorShape(answer.json)).toBe(true);
    expect(env.stack.emulator.counters().GetHLSStreamingSessionURL).toBeGreaterThan(1);
  });

  it('a short throttling burst is absorbed by the retries: the vend succeeds', async () => {
    await vend();
    env.stack.emulator.resetCounters();
    env.stack.emulator.setFaults({ throttleBursts: { GetHLSStreamingSessionURL: 3 } });

    const answer = await vend();

    expect(answer.status).toBe(200);
    expect(env.stack.emulator.counters()).toMatchObject({
      GetHLSStreamingSessionURL: 4,
      'GetHLSStreamingSessionURL:ClientLimitExceededException': 3,
    });
  });

  it('latency beyond the budget: 504 UPSTREAM_TIMEOUT, resolved long before the function timeout, bounded attempts', async () => {
    await vend();
    env.stack.emulator.resetCounters();
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 2000 } });
    const startedAt = Date.now();

    const answer = await vend();

    const elapsedMs = Date.now() - startedAt;
    expect(answer.status).toBe(504);
    expect((answer.json as { error: { code: string } }).error.code).toBe('UPSTREAM_TIMEOUT');
    // One attempt on the cached endpoint, then one on a re-fetched endpoint: never a retry storm.
    const counters = env.stack.emulator.counters();
    expect(counters.GetHLSStreamingSessionURL).toBeGreaterThanOrEqual(1);
    expect(counters.GetHLSStreamingSessionURL).toBeLessThanOrEqual(2);
    expect(elapsedMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
  });

  it('latency on GetDataEndpoint too: still a 504 that ends, not a hung request', async () => {
    env.stack.emulator.setFaults({ latencyMs: { '*': 2000 } });
    env.stack.emulator.rotateEndpoints(); // forces a fresh GetDataEndpoint

    const answer = await vend();

    expect(answer.status).toBe(504);
    expect(isErrorShape(answer.json)).toBe(true);
    expect(env.stack.emulator.counters().GetDataEndpoint).toBeLessThanOrEqual(
      Math.ceil(RETRY_BUDGET_MS / CALL_TIMEOUT_MS) + 1,
    );
  });

  it('a burst of KVS 5xx: 503 after bounded retries, then recovery without a restart', async () => {
    await vend();
    env.stack.emulator.resetCounters();
    env.stack.emulator.setFaults({ errorRate: { '*': { rate: 1, error: 'ServiceUnavailable' } } });

    const during = await vendMany(5, 5);
    const attempts = env.stack.emulator.counters();
    env.stack.emulator.setFaults({});
    const after = await vendMany(5, 5);

    expect(during.map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
    for (const answer of during) {
      expect((answer.json as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE');
    }
    const totalAttempts = (attempts.GetDataEndpoint ?? 0) + (attempts.GetHLSStreamingSessionURL ?? 0);
    expect(totalAttempts).toBeGreaterThan(5);
    // Five vends, each bounded by its budget: far from an unbounded loop.
    expect(totalAttempts).toBeLessThanOrEqual(5 * 40);
    expect(after.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('InternalFailure (500) from KVS is also a 503 to the caller, never a 500', async () => {
    env.stack.emulator.setFaults({
      errorRate: { GetHLSStreamingSessionURL: { rate: 1, error: 'InternalFailure' } },
    });

    const answer = await vend();

    expect(answer.status).toBe(503);
    expect(isErrorShape(answer.json)).toBe(true);
  });

  it('data endpoint rotation mid-run: zero failed vends, the endpoint is re-fetched', async () => {
    await vend();
    env.stack.emulator.resetCounters();
    let rotated = false;

    const answers = await vendMany(60, 4, (done) => {
      if (done === 20 && !rotated) {
        rotated = true;
        env.stack.emulator.rotateEndpoints();
      }
    });

    expect(rotated).toBe(true);
    expect(statuses(answers)).toEqual({ 200: 60 });
    const counters = env.stack.emulator.counters();
    expect(counters.RetiredEndpoint).toBeGreaterThanOrEqual(1);
    expect(counters.GetDataEndpoint).toBeGreaterThanOrEqual(1);
    // The last URLs are all on one data endpoint, and not on the one in use before the rotation.
    const endpointOf = (answer: RawAnswer): string =>
      new URL((answer.json as { url: string }).url).pathname.split('/')[1] ?? '';
    const latest = new Set(answers.slice(-10).map(endpointOf));
    expect(latest.size).toBe(1);
    expect(latest.has(endpointOf(answers[0]!))).toBe(false);
  });

  it('wrote audit lines for the vends and no secret anywhere', () => {
    expect(env.guard.lines().some((line) => line.includes('Playback URL vended'))).toBe(true);
    expect(env.guard.secretCount).toBeGreaterThan(100);
  });
});
