import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import { startGuardedStack, type GuardedStack } from '../support/guarded-stack';

/**
 * Bounded load on the local stack over loopback: a fixed number of closed-loop callers for a fixed time,
 * over a mix of valid and invalid requests. It passes when no answer is a 5xx, every request got an
 * answer, the heap (this process's and every function instance's, each sampled after a full GC) stays
 * within a bound, and no secret leaked into a log line, an error body or a header.
 *
 *   npm run soak                     60 s, 16 callers
 *   SOAK_SECONDS=600 SOAK_CONCURRENCY=32 npm run soak
 */
export interface SoakOptions {
  seconds: number;
  concurrency: number;
  /** Heap growth allowed between the start and the end of the measured part of the run. */
  maxHeapGrowthMb: number;
  /** How often the heap is sampled (after a full GC). */
  sampleEveryMs: number;
  /** Per-request deadline; an unanswered request counts as lost. */
  requestTimeoutMs?: number;
}

export interface SoakResult {
  passed: boolean;
  failures: string[];
  durationMs: number;
  requests: number;
  answered: number;
  lost: number;
  serverErrors: number;
  statuses: Record<string, number>;
  byScenario: Record<string, Record<string, number>>;
  latencyMs: { p50: number; p99: number; max: number };
  heap: { samplesMb: number[]; baselineMb: number; endMb: number; growthMb: number; limitMb: number };
  leaks: number;
  /** Answers a scenario was not expected to get, by `scenario → status`. */
  unexpected: Record<string, number>;
}

interface Scenario {
  name: string;
  /** Statuses this request may get; anything else is reported (a 5xx also fails the run). */
  expected: readonly number[];
  request: () => { path: string; method: string; headers: Record<string, string>; body?: string };
}

const SOAK_PARTNER: LocalPartner = {
  apiKeyId: 'demo-partner',
  apiKey: 'soak-partner-key-5e6f7a8b9c0d1e2f',
  usagePlan: { rateLimit: 100_000, burstLimit: 100_000 },
};

/** A full GC on demand, without having to start node with --expose-gc. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function scenarios(env: GuardedStack): Scenario[] {
  const json = { 'content-type': 'application/json' };
  const bearer = (token: string): Record<string, string> => ({ ...json, authorization: `Bearer ${token}` });
  const alice = env.token('alice');
  const bob = env.token('bob');
  const sam = env.token('sam', ['security']);
  const expired = env.stack.mintToken({ sub: 'alice', ttlSeconds: 1, now: Date.now() - 3_600_000 });
  const vend = (stream: string): string => `/v1/streams/${stream}/playback-url`;
  return [
    {
      name: 'vend HLS (alice)',
      expected: [200],
      request: () => ({
        method: 'POST',
        path: vend('front-door'),
        headers: bearer(alice),
        body: '{"protocol":"HLS"}',
      }),
    },
    {
      name: 'vend DASH (bob)',
      expected: [200],
      request: () => ({
        method: 'POST',
        path: vend('backyard'),
        headers: bearer(bob),
        body: '{"protocol":"DASH","expiresInSeconds":900}',
      }),
    },
    {
      name: 'list (group, prefix grant)',
      expected: [200],
      request: () => ({ method: 'GET', path: '/v1/streams', headers: bearer(sam) }),
    },
    {
      name: 'vend (partner)',
      expected: [200],
      request: () => ({
        method: 'POST',
        path: `/partner${vend('front-door')}`,
        headers: { ...json, 'x-api-key': SOAK_PARTNER.apiKey },
        body: '{}',
      }),
    },
    {
      name: 'forbidden stream',
      expected: [403],
      request: () => ({ method: 'POST', path: vend('backyard'), headers: bearer(alice), body: '{}' }),
    },
    {
      name: 'no token',
      expected: [401],
      request: () => ({ method: 'POST', path: vend('front-door'), headers: json, body: '{}' }),
    },
    {
      name: 'expired token',
      expected: [401],
      request: () => ({ method: 'GET', path: '/v1/streams', headers: bearer(expired) }),
    },
    {
      name: 'malformed JSON',
      expected: [400],
      request: () => ({
        method: 'POST',
        path: vend('front-door'),
        headers: bearer(alice),
        body: '{"protocol":',
      }),
    },
    {
      name: 'unknown field',
      expected: [400],
      request: () => ({
        method: 'POST',
        path: vend('front-door'),
        headers: bearer(alice),
        body: '{"protocl":"HLS"}',
      }),
    },
    {
      name: 'unknown route',
      expected: [403],
      request: () => ({ method: 'GET', path: '/v2/everything', headers: bearer(alice) }),
    },
    {
      name: 'wrong partner key',
      expected: [403],
      request: () => ({ method: 'GET', path: '/partner/v1/streams', headers: { 'x-api-key': 'not-a-key' } }),
    },
    {
      name: 'offline stream (garage LIVE)',
      expected: [404],
      request: () => ({ method: 'POST', path: vend('garage'), headers: bearer(sam), body: '{}' }),
    },
    // Fresh principals and stream names on every call: per-principal grant caching and KVS lookups of
    // unknown names must stay bounded, whatever the run length.
    {
      name: 'new user each time (list)',
      expected: [200],
      request: () => ({
        method: 'GET',
        path: '/v1/streams',
        headers: bearer(env.token(`soak-${randomUUID()}`)),
      }),
    },
    {
      name: 'unknown stream each time',
      expected: [404],
      request: () => ({
        method: 'POST',
        path: vend(`soak-${randomUUID()}`),
        headers: bearer(sam),
        body: '{}',
      }),
    },
    {
      name: 'unplayable stream',
      expected: [422],
      request: () => ({ method: 'POST', path: vend('no-retention'), headers: bearer(sam), body: '{}' }),
    },
  ];
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const gc = gcFunction();
  const env = await startGuardedStack({
    partners: [SOAK_PARTNER],
    // Nothing is kept per request: memory of the harness itself stays flat however long the run.
    guard: { retain: false },
    // The soak looks for what breaks with time (a 5xx from a bug, a lost answer, a leak), not for what a
    // busy machine makes late: the deadlines of the function's stores and of KVS are set far beyond what a
    // loaded machine needs (how the function answers a late store or KVS is tested by the handler's deadline
    // tests, not here), and the function's timeout is API Gateway's.
    env: {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ADMISSION_TIMEOUT_MS: '6000',
      KVS_CALL_TIMEOUT_MS: '8000',
      KVS_RETRY_BUDGET_MS: '12000',
    },
    functionTimeoutMs: 28_000,
    // The run measures the service's stability at whatever rate the machine sustains, above the stage
    // throttle's 100 per second: the throttle would answer most requests itself.
    stageThrottle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
    // The service's per-stream quotas would turn most vends into throttled retries; the run is about this
    // service's own stability, so the emulator lets every call through.
    emulator: {
      quotas: {
        sessionUrlPerStream: 1_000_000,
        getDataEndpointPerStream: 1_000_000,
        getDataEndpointPerAccount: 1_000_000,
      },
    },
  });
  const mix = scenarios(env);
  const statuses: Record<string, number> = {};
  const byScenario: Record<string, Record<string, number>> = {};
  const latencies: number[] = [];
  const failures: string[] = [];
  const unexpected = new Map<string, number>();
  let requests = 0;
  let answered = 0;
  let lost = 0;
  let serverErrors = 0;
  let refusalsBroken = 0;
  const heapSamples: number[] = [];

  let sampling = false;
  // The function runs in instances of its own (worker threads), each with its own heap: a leak of the
  // function shows there, not in this process.
  const sampleHeap = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      gc();
      const instancesBytes = await env.stack.lambda.heapUsedBytes({ collectGarbage: true });
      heapSamples.push((process.memoryUsage().heapUsed + instancesBytes) / 1_048_576);
    } finally {
      sampling = false;
    }
  };

  // Lambda starts instances on demand, each with a heap of its own: the fleet is brought to one instance
  // per caller first, so that the heap measured is that of a fleet which no longer grows.
  const sam = env.token('sam', ['security']);
  for (let burst = 0; burst < 10 && env.stack.lambda.stats().instances < options.concurrency; burst += 1) {
    await Promise.all(
      Array.from({ length: options.concurrency }, () => env.send({ path: '/v1/streams', token: sam })),
    );
  }

  const startedAt = Date.now();
  const deadline = startedAt + options.seconds * 1000;
  await sampleHeap();
  const sampler = setInterval(() => void sampleHeap(), options.sampleEveryMs);

  const caller = async (offset: number): Promise<void> => {
    // Until the time is up, and at least once through the whole mix however slow the machine is.
    for (let index = offset; Date.now() < deadline || index < mix.length; index += options.concurrency) {
      const scenario = mix[index % mix.length]!;
      const { path, method, headers, body } = scenario.request();
      requests += 1;
      const sentAt = Date.now();
      try {
        const response = await fetch(`${env.stack.apiUrl}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000),
        });
        const text = await response.text();
        answered += 1;
        latencies.push(Date.now() - sentAt);
        env.guard.response({ status: response.status, headers: response.headers, body: text });
        const status = String(response.status);
        statuses[status] = (statuses[status] ?? 0) + 1;
        const counts = (byScenario[scenario.name] ??= {});
        counts[status] = (counts[status] ?? 0) + 1;
        if (response.status >= 500) serverErrors += 1;
        if (!scenario.expected.includes(response.status)) {
          const key = `${scenario.name} → ${status}`;
          unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
          // A success where a refusal was due is a hole, not noise.
          if (response.ok && !scenario.expected.some((expected) => expected < 300)) refusalsBroken += 1;
        }
      } catch {
        lost += 1;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, offset) => caller(offset)));
  } finally {
    clearInterval(sampler);
  }
  await sampleHeap();
  const durationMs = Date.now() - startedAt;
  const leaks = env.guard.leaks();
  await env.stop();

  // The first fifth warms up caches, JIT and connection pools; growth is measured after it.
  const measured = heapSamples.slice(Math.floor(heapSamples.length / 5));
  const third = Math.max(1, Math.floor(measured.length / 3));
  const baselineMb = median(measured.slice(0, third));
  const endMb = median(measured.slice(-third));
  const growthMb = endMb - baselineMb;

  if (refusalsBroken > 0) failures.push(`${refusalsBroken} request(s) that must be refused succeeded`);
  if (serverErrors > 0) failures.push(`${serverErrors} answer(s) were 5xx`);
  if (lost > 0) failures.push(`${lost} request(s) got no answer`);
  if (answered + lost !== requests) failures.push(`${requests - answered - lost} request(s) unaccounted for`);
  if (growthMb > options.maxHeapGrowthMb) {
    failures.push(`heap grew ${growthMb.toFixed(1)} MB (limit ${options.maxHeapGrowthMb} MB)`);
  }
  if (leaks.length > 0) {
    failures.push(
      `${leaks.length} leak(s): ${leaks.map((leak) => `${leak.secret} in ${leak.where}`).join('; ')}`,
    );
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    passed: failures.length === 0,
    failures,
    durationMs,
    requests,
    answered,
    lost,
    serverErrors,
    statuses,
    byScenario,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    heap: {
      samplesMb: heapSamples.map((sample) => Math.round(sample * 10) / 10),
      baselineMb,
      endMb,
      growthMb,
      limitMb: options.maxHeapGrowthMb,
    },
    leaks: leaks.length,
    unexpected: Object.fromEntries(unexpected),
  };
}

/** The figures of a run, as printed by `npm run soak` and by the short version in `npm test`. */
export function formatSoakResult(result: SoakResult, options: SoakOptions): string {
  const rate = result.answered / (result.durationMs / 1000);
  const lines = [
    `soak: ${result.passed ? 'PASS' : 'FAIL'}  ${options.concurrency} callers for ${(result.durationMs / 1000).toFixed(1)} s`,
    `  requests ${result.requests}, answered ${result.answered}, lost ${result.lost}, 5xx ${result.serverErrors}, ${rate.toFixed(0)} req/s`,
    `  statuses ${JSON.stringify(result.statuses)}`,
    `  latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    `  heap after GC: baseline ${result.heap.baselineMb.toFixed(1)} MB, end ${result.heap.endMb.toFixed(1)} MB, growth ${result.heap.growthMb.toFixed(1)} MB (limit ${result.heap.limitMb} MB), ${result.heap.samplesMb.length} samples`,
    `  leaks ${result.leaks}`,
  ];
  for (const [name, counts] of Object.entries(result.byScenario)) {
    lines.push(`    ${name.padEnd(30)} ${JSON.stringify(counts)}`);
  }
  for (const [key, count] of Object.entries(result.unexpected)) lines.push(`  unexpected: ${key} x${count}`);
  for (const failure of result.failures) lines.push(`  FAILED: ${failure}`);
  return `${lines.join('\n')}\n`;
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive integer.\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const options: SoakOptions = {
    seconds: positiveInteger('SOAK_SECONDS', 60),
    concurrency: positiveInteger('SOAK_CONCURRENCY', 16),
    maxHeapGrowthMb: positiveInteger('SOAK_MAX_HEAP_GROWTH_MB', 24),
    sampleEveryMs: 1000,
  };
  process.stdout.write(
    `soak: ${options.concurrency} callers for ${options.seconds} s on the local stack...\n`,
  );
  const result = await runSoak(options);
  process.stdout.write(formatSoakResult(result, options));
  process.exit(result.passed ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
