import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EndpointCache } from '../../lambda/adapters/kvs/endpoint-cache';
import { createSharedEndpointCache } from '../../lambda/adapters/kvs/shared-endpoint-cache';
import { startDynamoDbThread } from '../fleet/dynamodb-thread';
import { dataEndpointCounts, SIDE_LABEL } from '../fleet/sides';
import { startFleet } from '../fleet/fleet';
import type { CacheSide } from '../fleet/messages';
import { startBenchEmulator } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { median, ratio, summarize } from '../lib/stats';
import { lineChartSvg } from '../lib/svg-chart';

const TITLE = '6. Cold burst at one stream (fleet)';
const TABLE = 'kvs-url-vending-endpoint-cache';
const RETRY_BUDGET_MS = 4_000;
const WARM_UP_STREAMS = 50;
/** The account's GetDataEndpoint bucket (300/s) refills in a second: each burst starts from a full one. */
const PAUSE_MS = 1_500;
export const CURVE_FILE = 'cold-burst.svg';

interface Burst {
  readonly side: CacheSide;
  readonly instances: number;
  readonly succeeded: number;
  /** GetDataEndpoint calls KVS received, throttled ones included. */
  readonly dataEndpointCalls: number;
  readonly throttled: number;
  readonly errors: Readonly<Record<string, number>>;
  /** What the fleet's endpoint cache did, summed over the burst's instances. */
  readonly events: Readonly<Record<string, number>>;
  readonly p99Ms: number;
}

/**
 * The shared lookup against the local one, side by side: what a warm instance would pay per vend if it
 * asked the table every time (a GetItem), and what it pays with its own cache in front (a map lookup).
 */
async function lookupCost(
  dynamoDbEndpoint: string,
  rounds: number,
): Promise<{ local: number[]; shared: number[] }> {
  const client = new DynamoDBClient({
    region: BENCH_REGION,
    endpoint: dynamoDbEndpoint,
    credentials: BENCH_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    const shared = createSharedEndpointCache({
      tableName: TABLE,
      region: BENCH_REGION,
      client,
      ttlMs: 1_500_000,
      requestTimeoutMs: 2_000,
    });
    const local = new EndpointCache({ ttlMs: 1_500_000, maxEntries: 1000 });
    const key = 'lookup-cost#GET_HLS_STREAMING_SESSION_URL';
    const fetch = () => Promise.resolve('https://b-lookup.kinesisvideo.invalid');
    await shared.get(key, fetch, Date.now() + RETRY_BUDGET_MS);
    await local.get(key, fetch);
    const times = { local: [] as number[], shared: [] as number[] };
    for (let round = 0; round < rounds; round += 1) {
      let started = performance.now();
      await local.get(key, fetch);
      times.local.push(performance.now() - started);
      started = performance.now();
      await shared.get(key, fetch, Date.now() + RETRY_BUDGET_MS);
      times.shared.push(performance.now() - started);
    }
    return times;
  } finally {
    client.destroy();
  }
}

export async function runColdBurst(options: BenchOptions): Promise<ScenarioResult> {
  const headline = envNumber('BENCH_BURST_INSTANCES', 100);
  const repeats = envNumber('BENCH_BURST_REPEATS', options.quick ? 1 : 3);
  const curve = options.quick ? [5, 25, headline] : [5, 10, 25, 50, headline, 150, 200];
  const points = [...new Set(curve)].sort((a, b) => a - b);
  const largest = Math.max(...points);
  const latencyMs = envNumber('BENCH_KVS_LATENCY_MS', 20);
  const runs: { side: CacheSide; instances: number; stream: string }[] = [];
  for (const instances of points) {
    const times = instances === headline ? repeats : 1;
    for (let repeat = 0; repeat < times; repeat += 1) {
      for (const side of ['instance', 'fleet'] as const) {
        runs.push({ side, instances, stream: `burst-${side}-${instances}-${repeat}` });
      }
    }
  }
  const warmUp = Array.from({ length: WARM_UP_STREAMS }, (_, index) => `fleet-warm-${index}`);

  const loadBefore = loadavg()[0]!;
  const dynamoDb = await startDynamoDbThread(TABLE);
  const emulator = await startBenchEmulator({
    quotas: 'service',
    addedLatencyMs: latencyMs,
    extraStreams: [...warmUp, ...runs.map((run) => run.stream)],
  });
  try {
    process.stderr.write(`  starting ${largest} instances\n`);
    const fleet = await startFleet({
      size: largest,
      workDir: options.workDir,
      dataFor: (index) => ({
        kvsEndpoint: emulator.endpoint,
        region: BENCH_REGION,
        credentials: BENCH_CREDENTIALS,
        callTimeoutMs: 2_000,
        retryBudgetMs: RETRY_BUDGET_MS,
        endpointCacheTtlMs: 1_500_000,
        sharedEndpointCache: { tableName: TABLE, endpoint: dynamoDb.endpoint },
        warmUpStream: warmUp[index % warmUp.length]!,
      }),
    });
    const bursts: Burst[] = [];
    try {
      for (const run of runs) {
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
        const before = dataEndpointCounts(emulator);
        const reports = await fleet.burst(run.side, run.stream, run.instances);
        const after = dataEndpointCounts(emulator);
        const errors: Record<string, number> = {};
        const events: Record<string, number> = {};
        for (const report of reports) {
          if (report.errorCode !== undefined) errors[report.errorCode] = (errors[report.errorCode] ?? 0) + 1;
          for (const [event, count] of Object.entries(report.events))
            events[event] = (events[event] ?? 0) + count;
        }
        const burst: Burst = {
          side: run.side,
          instances: run.instances,
          succeeded: reports.filter((report) => report.errorCode === undefined).length,
          dataEndpointCalls: after.calls - before.calls,
          throttled: after.throttled - before.throttled,
          errors,
          events,
          p99Ms: summarize(reports.map((report) => report.elapsedMs)).p99,
        };
        process.stderr.write(
          `  ${run.instances} cold instances, ${SIDE_LABEL[run.side]}: ${burst.succeeded} vended, ${burst.dataEndpointCalls} GetDataEndpoint (${burst.throttled} throttled)${run.side === 'fleet' ? ` ${JSON.stringify(events)}` : ''}${Object.keys(errors).length > 0 ? ` errors ${JSON.stringify(errors)}` : ''}\n`,
        );
        bursts.push(burst);
      }
    } finally {
      await fleet.stop();
    }

    const at = (side: CacheSide, instances: number): Burst[] =>
      bursts.filter((burst) => burst.side === side && burst.instances === instances);
    const medianOf = (side: CacheSide, instances: number, pick: (burst: Burst) => number): number =>
      median(at(side, instances).map(pick));
    const chart = lineChartSvg({
      title: 'Cold burst at one stream: vends that succeed within the 4 s retry budget',
      xLabel: 'cold instances vending at the same moment',
      yLabel: 'vends that succeeded',
      series: [
        { name: 'every vend succeeds', color: '#999999', dashed: true, points: points.map((n) => [n, n]) },
        {
          name: 'per-instance endpoint cache',
          color: '#d62728',
          points: points.map((n) => [n, medianOf('instance', n, (burst) => burst.succeeded)]),
        },
        {
          name: 'fleet endpoint cache (shared in DynamoDB)',
          color: '#1f77b4',
          points: points.map((n) => [n, medianOf('fleet', n, (burst) => burst.succeeded)]),
        },
      ],
    });
    writeFileSync(join(options.workDir, CURVE_FILE), chart);

    const lookups = await lookupCost(dynamoDb.endpoint, options.quick ? 200 : 1000);
    const local = summarize(lookups.local);
    const shared = summarize(lookups.shared);
    const successShare = (side: CacheSide): number =>
      (100 * medianOf(side, headline, (burst) => burst.succeeded)) / headline;
    const figures: Figure[] = [
      {
        name: `fleet cache: vends that succeeded, ${headline} cold instances`,
        value: successShare('fleet'),
        unit: '%',
        digits: 1,
        target: { op: '>=', value: 95 },
      },
      {
        name: `fleet cache: GetDataEndpoint calls per burst of ${headline}`,
        value: medianOf('fleet', headline, (burst) => burst.dataEndpointCalls),
        unit: '',
        digits: 0,
        target: { op: '<=', value: 3 },
      },
      {
        name: `per-instance cache (before): vends that succeeded, ${headline} cold instances`,
        value: successShare('instance'),
        unit: '%',
        digits: 1,
      },
      {
        name: `per-instance cache (before): GetDataEndpoint calls per burst of ${headline} (throttled)`,
        value: medianOf('instance', headline, (burst) => burst.dataEndpointCalls),
        unit: '',
        digits: 0,
      },
      {
        name: `fleet cache: slowest vend of the burst (p99)`,
        value: medianOf('fleet', headline, (burst) => burst.p99Ms),
        unit: 'ms',
        digits: 0,
      },
      { name: 'local endpoint cache lookup p50', value: local.p50 * 1000, unit: 'µs', digits: 1 },
      { name: 'shared endpoint lookup (GetItem) p50', value: shared.p50 * 1000, unit: 'µs', digits: 0 },
      { name: 'shared endpoint lookup (GetItem) p99', value: shared.p99 * 1000, unit: 'µs', digits: 0 },
      { name: 'shared / local lookup (p50)', value: ratio(shared.p50, local.p50), unit: '×', digits: 0 },
    ];
    const curveRows = points.map((n) => {
      const cell = (side: CacheSide) =>
        `${medianOf(side, n, (burst) => burst.succeeded)} (${medianOf(side, n, (burst) => burst.dataEndpointCalls)} GetDataEndpoint)`;
      return `${n}: per-instance ${cell('instance')}, fleet ${cell('fleet')}`;
    });
    return {
      id: 'cold-burst',
      title: TITLE,
      figures,
      notes: [
        `Load average (1 min) of the machine ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (2 cores shared with other work: the figures measure the machine as much as the code when it is far above 2).`,
        `N instances (worker threads, each with its own module state, running the KVS adapter bundled as the function is) vend once each at one stream at the same moment; the KVS emulator with the service quotas (GetDataEndpoint 5/s per stream and 300/s per account, session URLs 25/s per stream), ${latencyMs} ms added per KVS call, the ${RETRY_BUDGET_MS / 1000} s retry budget, the endpoint cache table in dynalite (the server npm start runs, here in a thread of its own so that the emulator's answers do not queue behind the fleet's table requests). Each burst at a stream of its own, ${PAUSE_MS / 1000} s apart; ${headline} instances ${repeats} time(s) per side (medians).`,
        "The instances have initialised and vended once for another stream each (so their SDK clients are warm: on two cores, a hundred first calls would measure the machine); for the burst's stream their caches are empty, as for every instance when a new live stream starts, or a deploy replaces the fleet.",
        `Vends that succeeded (GetDataEndpoint calls, throttled ones included), per number of cold instances — ${curveRows.join('; ')}. Curve: bench/results/${CURVE_FILE}.`,
        `Lookup cost side by side, ${lookups.local.length} rounds: the instance's own cache answers a warm vend (a map lookup); the shared entry (one GetItem to dynalite over loopback) only when the instance's cache has nothing.`,
      ],
      details: { bursts, curveFile: CURVE_FILE, lookups: { local, shared } },
    };
  } finally {
    await emulator.stop();
    await dynamoDb.stop();
  }
}
