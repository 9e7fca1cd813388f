import { join } from 'node:path';
import { createBaselineHandler } from '../baseline-vend';
import { runClosedLoop, type ClosedLoopResult } from '../lib/closed-loop';
import { startBenchEmulator, type KvsCallCounts } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_REGION, loadVendHandler } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { ratio, summarize } from '../lib/stats';
import { benchIdentity } from '../lib/tokens';
import { lambdaContext, outcomeOf, playbackUrlEvent, type ProxyHandler } from '../lib/vend-event';

const STREAM = 'front-door';
const SESSION_URL_QUOTA_PER_S = 25;
const DATA_ENDPOINT_QUOTA_PER_S = 5;
const WARM_UP_MS = 1_000;

interface Side {
  readonly label: string;
  readonly run: ClosedLoopResult;
  readonly kvs: KvsCallCounts;
}

function sideFigures(side: Side): Figure[] {
  const seconds = side.run.elapsedMs / 1000;
  const latency = summarize(side.run.successLatenciesMs);
  const accepted = side.kvs.getDataEndpoint + side.kvs.sessionUrl;
  // The counters cover the whole run, warm-up included, so they are set against every vend of the run.
  const vends = side.run.allSuccesses;
  return [
    { name: `${side.label}: successful vends/s`, value: side.run.successes / seconds, unit: '/s' },
    { name: `${side.label}: 429 answers`, value: side.run.statuses['429'] ?? 0, unit: '', digits: 0 },
    { name: `${side.label}: p50 latency`, value: latency.p50, unit: 'ms', digits: 1 },
    { name: `${side.label}: p99 latency`, value: latency.p99, unit: 'ms', digits: 1 },
    {
      name: `${side.label}: KVS calls per vend (answered)`,
      value: ratio(accepted, vends),
      unit: '',
    },
    {
      name: `${side.label}: KVS calls per vend (incl. throttled)`,
      value: ratio(accepted + side.kvs.throttled, vends),
      unit: '',
    },
  ];
}

/**
 * Closed-loop callers at one stream, each with its own identity as real viewers would be. The warm-up
 * drains the emulator's token buckets (they start full: one second of quota as a burst), so the window
 * shows the steady state.
 */
async function drive(
  handler: ProxyHandler,
  tokens: readonly string[],
  durationMs: number,
): Promise<ClosedLoopResult> {
  return runClosedLoop({
    callers: tokens.length,
    durationMs,
    warmUpMs: WARM_UP_MS,
    attempt: async (caller) =>
      outcomeOf(await handler(playbackUrlEvent(STREAM, tokens[caller]!), lambdaContext())),
  });
}

export async function runQuotaThroughput(options: BenchOptions): Promise<ScenarioResult> {
  const callers = envNumber('BENCH_CALLERS', 8);
  const durationMs = envNumber('BENCH_THROUGHPUT_SECONDS', options.quick ? 3 : 10) * 1000;
  const latencyMs = envNumber('BENCH_KVS_LATENCY_MS', 20);
  const emulator = await startBenchEmulator({ quotas: 'service', addedLatencyMs: latencyMs });
  try {
    const identity = benchIdentity();
    const tokens = Array.from({ length: callers }, (_, index) =>
      identity.token(`viewer-${index}`, ['bench']),
    );
    const ours = await loadVendHandler({
      identity,
      kvsEndpoint: emulator.endpoint,
      workDir: join(options.workDir, 'quota'),
    });
    const baseline = createBaselineHandler({
      region: BENCH_REGION,
      endpoint: emulator.endpoint,
      credentials: BENCH_CREDENTIALS,
      jwtSecret: identity.secret,
      issuer: identity.issuer,
      audience: identity.audience,
    });

    const sides: Side[] = [];
    for (const [label, handler] of [
      ['ours', ours],
      ['baseline', baseline as ProxyHandler],
    ] as const) {
      process.stderr.write(`  ${label}: ${callers} callers × ${durationMs / 1000} s at ${STREAM}\n`);
      // One vend first, like any instance that has served before: the cold GetDataEndpoint is not the steady state.
      const primed = await handler(playbackUrlEvent(STREAM, tokens[0]!), lambdaContext());
      if (primed.statusCode !== 200)
        throw new Error(`${label} could not vend: ${primed.statusCode} ${primed.body}`);
      emulator.resetCounters();
      const run = await drive(handler, tokens, durationMs);
      sides.push({ label, run, kvs: emulator.kvsCalls() });
    }
    const [oursSide, baselineSide] = sides as [Side, Side];
    const oursRate = oursSide.run.successes / (oursSide.run.elapsedMs / 1000);
    const baselineRate = baselineSide.run.successes / (baselineSide.run.elapsedMs / 1000);
    const oursCallsPerVend = ratio(
      oursSide.kvs.getDataEndpoint + oursSide.kvs.sessionUrl,
      oursSide.run.allSuccesses,
    );

    const figures: Figure[] = [
      ...sideFigures(oursSide),
      ...sideFigures(baselineSide),
      {
        name: `ours: share of the ${SESSION_URL_QUOTA_PER_S}/s session-URL quota`,
        value: (100 * oursRate) / SESSION_URL_QUOTA_PER_S,
        unit: '%',
        digits: 1,
        target: { op: '>=', value: 95 },
      },
      {
        name: 'ours: KVS calls per vend',
        value: oursCallsPerVend,
        unit: '',
        digits: 3,
        target: { op: '<=', value: 1.01 },
      },
      {
        name: `baseline: vends/s vs its ${DATA_ENDPOINT_QUOTA_PER_S}/s GetDataEndpoint cap`,
        value: baselineRate,
        unit: '/s',
        target: { op: '<=', value: DATA_ENDPOINT_QUOTA_PER_S * 1.1 },
      },
      { name: 'throughput ratio ours / baseline', value: ratio(oursRate, baselineRate), unit: '×' },
    ];
    return {
      id: 'quota-throughput',
      title: '1. Per-stream vend throughput',
      figures,
      notes: [
        `${callers} closed-loop callers (one identity each) at one stream for ${durationMs / 1000} s per side after a ${WARM_UP_MS / 1000} s warm-up (steady state: the quota buckets start full; each side vends once before, so our one cold GetDataEndpoint is not counted), through the real handler (middy, HS256 JWT, static grants, KVS adapter over HTTP); emulator with the service quotas (GetDataEndpoint 5/s per stream, session URL 25/s per stream) and ${latencyMs} ms added per KVS call.`,
        'Callers honour Retry-After on a 429 and otherwise back off exponentially with full jitter (100 ms doubling to 2 s); the baseline answers KVS throttling as 429 + Retry-After: 1 so both sides are driven alike.',
        '"KVS calls per vend (answered)" = calls KVS accepted / vends, over the whole run (warm-up, window and the answers after it); "incl. throttled" adds the ClientLimitExceeded answers, i.e. what retries cost.',
      ],
      details: Object.fromEntries(
        sides.map((side) => [
          side.label,
          {
            statuses: side.run.statuses,
            tailSuccesses: side.run.tailSuccesses,
            kvs: side.kvs,
            elapsedMs: side.run.elapsedMs,
            waitedMs: side.run.waitedMs,
          },
        ]),
      ),
    };
  } finally {
    await emulator.stop();
  }
}
