import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../../local/start';
import { liftedQuotas } from '../lib/emulator';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';

const ROOT = resolve(__dirname, '..', '..');
const STREAM = 'front-door';

interface AutocannonResult {
  readonly duration: number;
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly statusCodeStats?: Record<string, { count: number }>;
}

/** autocannon in its own process: on two cores, the load generator must not share the server's event loop. */
function autocannon(args: readonly string[]): Promise<AutocannonResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`autocannon exited with ${code}: ${stderr.slice(0, 500)}`));
        return;
      }
      resolvePromise(JSON.parse(stdout) as AutocannonResult);
    });
  });
}

export async function runLocalApi(options: BenchOptions): Promise<ScenarioResult> {
  const connections = envNumber('BENCH_API_CONNECTIONS', 16);
  const seconds = envNumber('BENCH_API_SECONDS', options.quick ? 3 : 10);
  const stack = await startLocalStack({
    ports: 0,
    stateDir: join(options.workDir, 'local-api-state'),
    emulator: { quotas: liftedQuotas() },
    // The benchmark measures the function's throughput, above the stage throttle's 100 per second: the
    // throttle would answer most requests itself.
    stageThrottle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
  });
  try {
    const token = stack.mintToken({ sub: 'alice' });
    const url = `${stack.apiUrl}/v1/streams/${STREAM}/playback-url`;
    const common = [
      '--json',
      '-m',
      'POST',
      '-H',
      `authorization=Bearer ${token}`,
      '-H',
      'content-type=application/json',
      '-b',
      '{}',
    ];
    // An unmeasured run as long as the measured one, at the same concurrency, starts the function's
    // instances (one per connection, as Lambda would) and warms their JWKS, grants and endpoint caches
    // and their JIT: every instance compiles its hot code on its own, so a fleet of cold instances is
    // several times slower than a warm one for its first seconds.
    await autocannon([...common, '-c', String(connections), '-d', String(seconds), url]);
    stack.emulator.resetCounters();
    const warm = stack.lambda.stats();
    process.stderr.write(`  autocannon -c ${connections} -d ${seconds} POST ${STREAM}/playback-url\n`);
    const result = await autocannon([...common, '-c', String(connections), '-d', String(seconds), url]);
    const figures: Figure[] = [
      {
        name: `vends/s (2xx) at ${connections} connections`,
        value: result['2xx'] / result.duration,
        unit: '/s',
        digits: 0,
      },
      { name: 'latency p50', value: result.latency.p50, unit: 'ms', digits: 1 },
      { name: 'latency p99', value: result.latency.p99, unit: 'ms', digits: 1 },
      { name: 'non-2xx answers', value: result.non2xx, unit: '', digits: 0 },
      {
        name: 'connection errors + timeouts',
        value: result.errors + result.timeouts,
        unit: '',
        digits: 0,
        target: { op: '<=', value: 0 },
      },
    ];
    return {
      id: 'local-api',
      title: '5. Local API throughput',
      figures,
      notes: [
        `autocannon (separate process) against the local stack over loopback: POST /v1/streams/${STREAM}/playback-url as alice (ES256 JWT from the local JWKS, grants from dynalite), ${connections} connections for ${seconds} s, the function in ${stack.lambda.stats().instances} warm instances (one request each at a time, as in Lambda). Emulator quotas LIFTED: with them, one stream caps at 25 vends/s (scenario 1), which would measure the quota, not the stack. For the record: no throughput target.`,
      ],
      details: {
        statusCodeStats: result.statusCodeStats ?? {},
        requests: result.requests,
        instances: stack.lambda.stats().instances,
        coldStartsDuringRun: stack.lambda.stats().coldStarts - warm.coldStarts,
      },
    };
  } finally {
    await stack.stop();
  }
}
