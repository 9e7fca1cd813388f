import { loadavg } from 'node:os';
import { startDynamoDbThread } from '../fleet/dynamodb-thread';
import { dataEndpointCounts, SIDE_LABEL } from '../fleet/sides';
import { startFleet, type Fleet } from '../fleet/fleet';
import type { CacheSide, VendReport } from '../fleet/messages';
import { benchStreamNames, startBenchEmulator, type BenchEmulator } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { dealOrders, peakPerSecond, type Sample } from '../lib/fleet-orders';
import { ratio, summarize } from '../lib/stats';

const TITLE = '9. Many streams across the fleet';
const TABLE = 'kvs-url-vending-endpoint-cache';
const RETRY_BUDGET_MS = 4_000;
const WARM_UP_STREAMS = 50;
/** The endpoint cache lifetime (ENDPOINT_CACHE_TTL_SECONDS' default): longer than a pass. */
const CACHE_TTL_MS = 1_500_000;
/** KVS's account-wide GetDataEndpoint quota, calls per second. */
const ACCOUNT_QUOTA_PER_SECOND = 300;
/** The fleet cache's goal: about one GetDataEndpoint call per stream per cache lifetime. */
const CALLS_PER_STREAM_TARGET = 1.1;
/** How often the emulator's counters are sampled for the busiest second. */
const SAMPLE_MS = 50;
/** Both sides start from a full account bucket (it refills within a second). */
const PAUSE_MS = 1_500;

interface Pass {
  readonly side: CacheSide;
  readonly vends: number;
  readonly succeeded: number;
  /** GetDataEndpoint calls KVS received during the pass, throttled ones included. */
  readonly dataEndpointCalls: number;
  readonly throttled: number;
  /** The most GetDataEndpoint calls KVS received within any one second of the pass. */
  readonly peakPerSecond: number;
  readonly seconds: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly events: Readonly<Record<string, number>>;
  readonly p99Ms: number;
}

/** Every instance vends its orders one after another (one request per instance, as in Lambda), all at once. */
async function runPass(
  fleet: Fleet,
  emulator: BenchEmulator,
  side: CacheSide,
  orders: readonly (readonly string[])[],
): Promise<Pass> {
  const before = dataEndpointCounts(emulator);
  const samples: Sample[] = [{ at: performance.now(), calls: before.calls }];
  const sampler = setInterval(() => {
    samples.push({ at: performance.now(), calls: dataEndpointCounts(emulator).calls });
  }, SAMPLE_MS);
  const started = performance.now();
  const reports: VendReport[] = [];
  try {
    await Promise.all(
      orders.map(async (streams, index) => {
        for (const stream of streams) reports.push(await fleet.vend(side, index, stream));
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const after = dataEndpointCounts(emulator);
  samples.push({ at: performance.now(), calls: after.calls });
  const errors: Record<string, number> = {};
  const events: Record<string, number> = {};
  for (const report of reports) {
    if (report.errorCode !== undefined) errors[report.errorCode] = (errors[report.errorCode] ?? 0) + 1;
    for (const [event, count] of Object.entries(report.events)) events[event] = (events[event] ?? 0) + count;
  }
  return {
    side,
    vends: reports.length,
    succeeded: reports.filter((report) => report.errorCode === undefined).length,
    dataEndpointCalls: after.calls - before.calls,
    throttled: after.throttled - before.throttled,
    peakPerSecond: peakPerSecond(samples),
    seconds: (performance.now() - started) / 1000,
    errors,
    events,
    p99Ms: summarize(reports.map((report) => report.elapsedMs)).p99,
  };
}

export async function runFleetManyStreams(options: BenchOptions): Promise<ScenarioResult> {
  const streamCount = envNumber('BENCH_FLEET_STREAMS', 1000);
  const instances = envNumber('BENCH_FLEET_INSTANCES', 100);
  const perStream = Math.max(2, envNumber('BENCH_VENDS_PER_STREAM', options.quick ? 2 : 4));
  const latencyMs = envNumber('BENCH_KVS_LATENCY_MS', 20);
  const streams = benchStreamNames(streamCount);
  const warmUp = Array.from({ length: WARM_UP_STREAMS }, (_, index) => `fleet-warm-${index}`);
  const orders = dealOrders(streams, perStream, instances);

  const loadBefore = loadavg()[0]!;
  const dynamoDb = await startDynamoDbThread(TABLE);
  const emulator = await startBenchEmulator({
    quotas: 'service',
    addedLatencyMs: latencyMs,
    extraStreams: [...warmUp, ...streams],
  });
  try {
    process.stderr.write(`  starting ${instances} instances\n`);
    const fleet = await startFleet({
      size: instances,
      workDir: options.workDir,
      dataFor: (index) => ({
        kvsEndpoint: emulator.endpoint,
        region: BENCH_REGION,
        credentials: BENCH_CREDENTIALS,
        callTimeoutMs: 2_000,
        retryBudgetMs: RETRY_BUDGET_MS,
        endpointCacheTtlMs: CACHE_TTL_MS,
        sharedEndpointCache: { tableName: TABLE, endpoint: dynamoDb.endpoint },
        warmUpStream: warmUp[index % warmUp.length]!,
      }),
    });
    const passes: Partial<Record<CacheSide, Pass>> = {};
    try {
      // Both sides vend for the same streams: each side's caches (the instances' own, and for the fleet
      // side the table) start empty for them, and KVS's per-stream buckets refill during the pause.
      for (const side of ['instance', 'fleet'] as const) {
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
        const pass = await runPass(fleet, emulator, side, orders);
        passes[side] = pass;
        process.stderr.write(
          `  ${SIDE_LABEL[side]}: ${pass.succeeded}/${pass.vends} vended in ${pass.seconds.toFixed(1)} s, ${pass.dataEndpointCalls} GetDataEndpoint (${pass.throttled} throttled), peak ${pass.peakPerSecond}/s${side === 'fleet' ? ` ${JSON.stringify(pass.events)}` : ''}${Object.keys(pass.errors).length > 0 ? ` errors ${JSON.stringify(pass.errors)}` : ''}\n`,
        );
      }
    } finally {
      await fleet.stop();
    }
    const instance = passes.instance!;
    const shared = passes.fleet!;
    const share = (pass: Pass): number => (100 * pass.succeeded) / pass.vends;
    const perStreamCalls = (pass: Pass): number => pass.dataEndpointCalls / streamCount;
    const figures: Figure[] = [
      {
        name: `fleet cache: GetDataEndpoint calls per stream (${streamCount} streams, ${instances} instances)`,
        value: perStreamCalls(shared),
        unit: '',
        digits: 2,
        target: { op: '<=', value: CALLS_PER_STREAM_TARGET },
      },
      {
        name: 'fleet cache: most GetDataEndpoint calls in any second',
        value: shared.peakPerSecond,
        unit: '/s',
        digits: 0,
        target: { op: '<=', value: ACCOUNT_QUOTA_PER_SECOND },
      },
      { name: 'fleet cache: GetDataEndpoint calls throttled', value: shared.throttled, unit: '', digits: 0 },
      { name: 'fleet cache: vends that succeeded', value: share(shared), unit: '%', digits: 1 },
      {
        name: 'per-instance cache (before): GetDataEndpoint calls per stream',
        value: perStreamCalls(instance),
        unit: '',
        digits: 2,
      },
      {
        name: 'per-instance cache (before): most GetDataEndpoint calls in any second',
        value: instance.peakPerSecond,
        unit: '/s',
        digits: 0,
      },
      {
        name: 'per-instance cache (before): GetDataEndpoint calls throttled',
        value: instance.throttled,
        unit: '',
        digits: 0,
      },
      {
        name: 'per-instance cache (before): vends that succeeded',
        value: share(instance),
        unit: '%',
        digits: 1,
      },
      {
        name: 'GetDataEndpoint calls, per-instance / fleet cache',
        value: ratio(instance.dataEndpointCalls, shared.dataEndpointCalls),
        unit: '×',
        digits: 1,
      },
    ];
    return {
      id: 'fleet-many-streams',
      title: TITLE,
      figures,
      notes: [
        `Load average (1 min) of the machine ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
        `${instances} instances (the worker threads of the cold-burst scenario, each with its own module state) vend for ${streamCount} streams, each stream ${perStream} times (${streamCount * perStream} vends per side), the orders shuffled per round and dealt round robin so that a stream's vends fall on different instances at about the same time; each instance vends its orders one after another. Both sides in one run on the same streams, ${PAUSE_MS / 1000} s apart: each instance's own endpoint cache only (before), then the fleet's cache in DynamoDB behind it. KVS emulator with the service quotas (GetDataEndpoint 5/s per stream, ${ACCOUNT_QUOTA_PER_SECOND}/s per account), ${latencyMs} ms per KVS call, the ${RETRY_BUDGET_MS / 1000} s retry budget, the table in dynalite in a thread of its own.`,
        `A pass lasts far less than the endpoint cache lifetime (${CACHE_TTL_MS / 60_000} min), so "one call per stream per cache lifetime" is one call per stream per pass: the target is ≤ ${CALLS_PER_STREAM_TARGET} per stream. GetDataEndpoint calls are counted by the emulator, throttled ones included; the busiest second is the largest increase of that count within one second, sampled every ${SAMPLE_MS} ms (a window of at most one second, so it can only under-read by what one sample interval holds).`,
        `Per side — per-instance: ${instance.succeeded}/${instance.vends} vended in ${instance.seconds.toFixed(1)} s, ${instance.dataEndpointCalls} GetDataEndpoint (${instance.throttled} throttled), p99 ${instance.p99Ms.toFixed(0)} ms${Object.keys(instance.errors).length > 0 ? `, errors ${JSON.stringify(instance.errors)}` : ''}; fleet: ${shared.succeeded}/${shared.vends} vended in ${shared.seconds.toFixed(1)} s, ${shared.dataEndpointCalls} GetDataEndpoint (${shared.throttled} throttled), p99 ${shared.p99Ms.toFixed(0)} ms, fleet cache events ${JSON.stringify(shared.events)}${Object.keys(shared.errors).length > 0 ? `, errors ${JSON.stringify(shared.errors)}` : ''}.`,
      ],
      details: { passes, streamCount, instances, perStream },
    };
  } finally {
    await emulator.stop();
    await dynamoDb.stop();
  }
}
