import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFunctionBundle, type FunctionBundle } from '../../local/lambda-runtime/bundle';
import { InstancePool, type InstancePoolOptions } from '../../local/lambda-runtime/instance-pool';
import { FunctionError, TooManyRequestsException } from '../../local/lambda-runtime/invoke-errors';
import type { InvocationContext } from '../../local/lambda-runtime/messages';
import { startLeakGuard } from '../support/leak-guard';
import type { FixtureEvent } from './support/fixture-function';

const IDENTITY = {
  functionName: 'fixture',
  functionVersion: '$LATEST',
  memorySizeMb: 128,
  logGroupName: '/aws/lambda/fixture',
};

let sequence = 0;
const context = (remainingTimeMs = 10_000): InvocationContext => ({
  awsRequestId: `request-${++sequence}`,
  functionName: IDENTITY.functionName,
  functionVersion: IDENTITY.functionVersion,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fixture',
  memoryLimitInMB: '128',
  logGroupName: IDENTITY.logGroupName,
  logStreamName: 'set-by-the-pool',
  remainingTimeMs,
});

interface Echo {
  invocations: number;
  fixtureValue?: string;
  initializationType?: string;
  logStreamName: string;
  remainingMs: number;
}

describe('the local instance pool (Lambda concurrency model)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'kvs-pool-'));
  let bundle: FunctionBundle;
  const pools: InstancePool[] = [];
  let system: { type: string; record: Record<string, unknown> }[];

  beforeAll(async () => {
    bundle = await buildFunctionBundle({ outDir, entry: join(__dirname, 'support', 'fixture-function.ts') });
  });
  beforeEach(() => {
    system = [];
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.stop()));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  const pool = (options: Partial<InstancePoolOptions> = {}): InstancePool => {
    const created = new InstancePool({
      runtimeFile: bundle.runtimeFile,
      handlerFile: bundle.handlerFile,
      handlerName: bundle.handlerName,
      execArgv: bundle.execArgv,
      environment: { FIXTURE_VALUE: 'from-the-configuration' },
      identity: IDENTITY,
      concurrency: 10,
      systemLog: (line) => system.push(JSON.parse(line) as (typeof system)[number]),
      ...options,
    });
    pools.push(created);
    return created;
  };
  const invoke = (target: InstancePool, event: FixtureEvent, remainingTimeMs?: number): Promise<Echo> =>
    target.invoke(event, context(remainingTimeMs)) as Promise<Echo>;

  it('reuses one warm instance for sequential invocations', async () => {
    const target = pool();

    const results = [];
    for (let index = 0; index < 3; index += 1) results.push(await invoke(target, { action: 'echo' }));

    expect(results.map((result) => result.invocations)).toEqual([1, 2, 3]);
    expect(target.stats()).toEqual({ instances: 1, busy: 0, coldStarts: 1, throttles: 0, peakInFlight: 1 });
    expect(system.filter((line) => line.type === 'platform.initReport')).toHaveLength(1);
  });

  it('starts one instance per overlapping invocation, each with its own module state', async () => {
    const target = pool();

    const results = await Promise.all(
      Array.from({ length: 4 }, () => invoke(target, { action: 'sleep', ms: 300 })),
    );

    expect(results.map((result) => result.invocations)).toEqual([1, 1, 1, 1]);
    expect(new Set(results.map((result) => result.logStreamName)).size).toBe(4);
    expect(target.stats()).toMatchObject({ instances: 4, coldStarts: 4 });
    const coldStarts = system.filter((line) => line.type === 'platform.initReport');
    expect(coldStarts.map((line) => line.record.instanceId).sort()).toEqual([
      'instance-1',
      'instance-2',
      'instance-3',
      'instance-4',
    ]);
  });

  it('gives every instance the function environment and what the Lambda runtime sets', async () => {
    const target = pool();

    const results = await Promise.all([
      invoke(target, { action: 'sleep', ms: 200 }),
      invoke(target, { action: 'sleep', ms: 200 }),
    ]);

    for (const result of results) {
      expect(result.fixtureValue).toBe('from-the-configuration');
      expect(result.initializationType).toBe('on-demand');
      expect(result.logStreamName).toMatch(/^local\/\[\$LATEST\]instance-\d+$/);
      expect(result.remainingMs).toBeGreaterThan(0);
      expect(result.remainingMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('refuses an invocation beyond the concurrency, as Lambda does, and logs the refusal', async () => {
    const target = pool({ concurrency: 2 });

    const outcomes = await Promise.allSettled([
      invoke(target, { action: 'sleep', ms: 300 }),
      invoke(target, { action: 'sleep', ms: 300 }),
      invoke(target, { action: 'sleep', ms: 300 }),
    ]);
    const after = await invoke(target, { action: 'echo' });

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(TooManyRequestsException);
    expect(after.invocations).toBe(2);
    expect(target.stats()).toMatchObject({ instances: 2, throttles: 1 });
    expect(system.filter((line) => line.type === 'local.throttle')).toHaveLength(1);
  });

  it('discards an instance that outlives the function timeout; the next invocation is cold', async () => {
    const target = pool();
    await invoke(target, { action: 'echo' });

    const timedOut = invoke(target, { action: 'hang' }, 300);

    await expect(timedOut).rejects.toEqual(new FunctionError('Sandbox.Timedout'));
    expect(target.stats().instances).toBe(0);
    expect(system.find((line) => line.type === 'platform.report')?.record).toMatchObject({
      status: 'timeout',
      instanceId: 'instance-1',
    });
    expect((await invoke(target, { action: 'echo' })).invocations).toBe(1);
    expect(target.stats().coldStarts).toBe(2);
  });

  it('keeps an instance whose handler threw, reporting the error type only', async () => {
    const target = pool();
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (chunk: string) => written.push(String(chunk)) > 0;

    let error: unknown;
    try {
      await invoke(target, { action: 'throw' });
    } catch (caught) {
      error = caught;
    } finally {
      process.stderr.write = write;
    }

    expect(error).toEqual(new FunctionError('TypeError'));
    expect(written.join('')).toContain('"errorType":"TypeError"');
    expect(written.join('')).not.toContain('could hold a token');
    expect((await invoke(target, { action: 'echo' })).invocations).toBe(2);
  });

  it('discards an instance that exits, failing its invocation with Runtime.ExitError', async () => {
    const target = pool();

    await expect(invoke(target, { action: 'exit' })).rejects.toEqual(new FunctionError('Runtime.ExitError'));

    expect(target.stats().instances).toBe(0);
    expect((await invoke(target, { action: 'echo' })).invocations).toBe(1);
  });

  it('fails the invocations still running when it stops, and refuses new ones', async () => {
    const target = pool();
    const running = invoke(target, { action: 'sleep', ms: 5_000 });
    // Until the instance runs the invocation (its init first, however long this machine takes).
    while (target.stats().busy === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    const outcome = running.then(
      () => 'resolved',
      (error: unknown) => error,
    );

    await target.stop();

    expect(await outcome).toEqual(new FunctionError('Runtime.Unavailable'));
    await expect(invoke(target, { action: 'echo' })).rejects.toEqual(
      new FunctionError('Runtime.Unavailable'),
    );
    expect(target.stats().instances).toBe(0);
  });

  it('fails warm() with the init error and logs it, so a bad setting stops the local stack', async () => {
    const target = pool({ environment: { FIXTURE_FAIL_INIT: '1' } });

    await expect(target.warm()).rejects.toThrow('RangeError: FIXTURE_FAIL_INIT asks the init to fail');

    expect(target.stats().instances).toBe(0);
    expect(system.find((line) => line.type === 'platform.initReport')?.record).toMatchObject({
      status: 'error',
      errorType: 'RangeError',
    });
  });

  it('writes what an instance logs before its invocation resolves', async () => {
    const target = pool();
    const written: string[] = [];
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    const capture = ((chunk: string) => written.push(String(chunk)) > 0) as typeof stdout;
    process.stdout.write = capture;
    process.stderr.write = capture;

    let seenAtResolve: string;
    try {
      await invoke(target, { action: 'log', text: 'line of the invocation' });
      seenAtResolve = written.join('');
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }

    expect(seenAtResolve).toContain('line of the invocation\n');
    expect(seenAtResolve).toContain('line of the invocation (stderr)\n');
  });

  it('passes what instances write through this process, where the leak guard sees it', async () => {
    const target = pool();
    const guard = startLeakGuard();

    try {
      await invoke(target, { action: 'log', text: 'https://kvs.invalid/hls?SessionToken=leaked-on-purpose' });
    } finally {
      guard.stop();
    }

    expect(guard.leaks().map((leak) => leak.secret)).toContain('session token parameter');
  });

  it('returns the result as Lambda does, serialised as JSON', async () => {
    const target = pool();

    const result = await target.invoke({ action: 'unserialisable' }, context());

    expect(result).toEqual({ when: '1970-01-01T00:00:00.000Z' });
  });
});
