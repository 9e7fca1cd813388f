import { startKvsEmulator, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import type { Context } from 'aws-lambda';
import { createKvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import { captureOutput, context, errorOf, event, jsonLines, setupHandler, signToken } from './support';

/**
 * The sum of the function's own deadlines (keys, grants, admission, the KVS retry budget) can exceed the
 * Lambda timeout: the function must still answer itself, with its own error and its audit line, before
 * Lambda ends the invocation (after which API Gateway would answer a 5xx that no log explains). The KVS
 * wait is taken from what is left of the invocation (`context.getRemainingTimeInMillis()`), less a margin
 * to answer. Slowness is real (the emulator's latency fault); only its order of magnitude matters.
 */
describe('the function answers before its Lambda deadline', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startKvsEmulator({ port: 0 });
  });
  afterAll(() => emulator.stop());
  afterEach(() => emulator.setFaults({}));

  /** A Lambda context whose deadline is `ms` from now, on the wall clock as in Lambda. */
  const invocation = (ms: number): Context => {
    const deadline = Date.now() + ms;
    return { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  };
  const kvs = () =>
    createKvsAdapter({
      region: emulator.region,
      endpoint: emulator.endpoint,
      credentials: emulator.credentials,
      callTimeoutMs: 2_000,
      retryBudgetMs: 4_000,
      endpointCacheTtlMs: 1_500_000,
      endpointCacheMaxEntries: 100,
      streamListCacheTtlMs: 30_000,
    });
  const headers = { Authorization: `Bearer ${signToken()}`, 'Content-Type': 'application/json' };

  it('answers 504 UPSTREAM_TIMEOUT with its audit line when KVS is slower than the time left, not the retry budget', async () => {
    const { handler } = setupHandler({ kvs: kvs() });
    // Warm the data endpoint, so that only the session URL call is slow.
    expect((await handler(event({ headers, body: '{}' }), invocation(10_000))).statusCode).toBe(200);
    emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 6_000 } });
    const lambda = invocation(2_500);

    const { result, output } = await captureOutput(() =>
      handler(event({ headers, body: '{}', requestId: 'req-slow' }), lambda),
    );

    expect(result.statusCode).toBe(504);
    expect(errorOf(result).code).toBe('UPSTREAM_TIMEOUT');
    // Answered with time to spare, not cut off at the deadline.
    expect(lambda.getRemainingTimeInMillis()).toBeGreaterThan(0);
    const audits = jsonLines(output).filter((line) => line.audit !== undefined);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.audit).toMatchObject({ outcome: 'refused', status: 504, code: 'UPSTREAM_TIMEOUT' });
  });

  it('does not call KVS at all when no time is left for it', async () => {
    const { handler } = setupHandler({ kvs: kvs() });
    emulator.resetCounters();

    const response = await handler(event({ headers, body: '{}' }), invocation(300));

    expect(response.statusCode).toBe(504);
    expect(errorOf(response).code).toBe('UPSTREAM_TIMEOUT');
    expect(emulator.counters().GetHLSStreamingSessionURL ?? 0).toBe(0);
  });
});
