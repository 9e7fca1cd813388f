import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbGrantStore } from '../../lambda/adapters/grants/dynamodb-grant-store';
import { parseGrantRecords } from '../../lambda/adapters/grants/grant-records';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { createStaticGrantStore } from '../../lambda/adapters/grants/static-grant-store';
import type { KvsPort } from '../../lambda/core/ports';
import { createHandler, type VendHandlerDeps } from '../../lambda/vend/create-handler';
import { startLocalDynamoDb } from '../../local/dynamodb';
import { startBenchEmulator } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_GRANTS, BENCH_REGION, loadVendHandler } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { summarize } from '../lib/stats';
import { benchIdentity } from '../lib/tokens';
import { lambdaContext, playbackUrlEvent, type ProxyHandler } from '../lib/vend-event';

const STREAM = 'front-door';
const ROTATIONS = [
  ['handler', 'raw', 'withoutKvs'],
  ['raw', 'withoutKvs', 'handler'],
  ['withoutKvs', 'handler', 'raw'],
] as const;

/**
 * What our code adds to a vend, warm: the handler's latency minus that of the one KVS call a vend cannot
 * avoid, both against the same in-process emulator (no added latency, quotas lifted), interleaved call by
 * call so that drift, GC and the neighbours of a shared machine hit both sides alike. A third side, the
 * same middy stack with an in-memory KVS port, measures our code with no network at all.
 */
export async function runOverhead(options: BenchOptions): Promise<ScenarioResult> {
  const iterations = envNumber('BENCH_OVERHEAD_ITERATIONS', options.quick ? 500 : 3000);
  const warmup = Math.min(300, iterations);
  const emulator = await startBenchEmulator({ quotas: 'lifted', addedLatencyMs: 0 });
  try {
    const identity = benchIdentity();
    const token = identity.token('viewer-0', ['bench']);
    const handler = await loadVendHandler({
      identity,
      kvsEndpoint: emulator.endpoint,
      workDir: join(options.workDir, 'overhead'),
    });

    const control = new KinesisVideoClient({
      region: BENCH_REGION,
      credentials: BENCH_CREDENTIALS,
      endpoint: emulator.endpoint,
    });
    const { DataEndpoint } = await control.send(
      new GetDataEndpointCommand({ StreamName: STREAM, APIName: 'GET_HLS_STREAMING_SESSION_URL' }),
    );
    const media = new KinesisVideoArchivedMediaClient({
      region: BENCH_REGION,
      credentials: BENCH_CREDENTIALS,
      ...(DataEndpoint !== undefined ? { endpoint: DataEndpoint } : {}),
    });

    const instantKvs: KvsPort = {
      getSessionUrl: () =>
        Promise.resolve(`${emulator.endpoint}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x`),
      listStreamNames: () => Promise.resolve([]),
    };
    const inProcessDeps = (grants: VendHandlerDeps['grants']): VendHandlerDeps => ({
      verifier: createJwtVerifier({
        issuer: identity.issuer,
        audience: identity.audience,
        algorithms: ['HS256'],
        secret: identity.secret,
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
      }),
      grants,
      kvs: instantKvs,
      logger: new Logger({ serviceName: 'kvs-url-vending', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'KvsUrlVending', serviceName: 'kvs-url-vending' }),
    });
    const withoutKvs = createHandler(inProcessDeps(createStaticGrantStore(parseGrantRecords(BENCH_GRANTS))));

    const timed = async (target: ProxyHandler): Promise<number> => {
      const started = performance.now();
      const result = await target(playbackUrlEvent(STREAM, token), lambdaContext());
      const elapsed = performance.now() - started;
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
      return elapsed;
    };
    const vend = (): Promise<number> => timed(handler);
    const vendWithoutKvs = (): Promise<number> => timed(withoutKvs);
    const raw = async (): Promise<number> => {
      const started = performance.now();
      const output = await media.send(
        new GetHLSStreamingSessionURLCommand({ StreamName: STREAM, PlaybackMode: 'LIVE', Expires: 300 }),
      );
      const elapsed = performance.now() - started;
      if (!output.HLSStreamingSessionURL) throw new Error('no session URL');
      return elapsed;
    };

    for (let index = 0; index < warmup; index += 1) {
      await vend();
      await raw();
      await vendWithoutKvs();
    }
    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    const pairedMs: number[] = [];
    const withoutKvsMs: number[] = [];
    for (let index = 0; index < iterations; index += 1) {
      // Rotating which side goes first cancels any advantage of running right after another.
      const samples: Record<'handler' | 'raw' | 'withoutKvs', number> = { handler: 0, raw: 0, withoutKvs: 0 };
      const order = ROTATIONS[index % ROTATIONS.length]!;
      for (const side of order) {
        samples[side] = await (side === 'handler' ? vend() : side === 'raw' ? raw() : vendWithoutKvs());
      }
      handlerMs.push(samples.handler);
      rawMs.push(samples.raw);
      withoutKvsMs.push(samples.withoutKvs);
      pairedMs.push(samples.handler - samples.raw);
    }
    const ours = summarize(handlerMs);
    const sdk = summarize(rawMs);
    const paired = summarize(pairedMs);
    const alone = summarize(withoutKvsMs);
    const figures: Figure[] = [
      { name: 'handler latency p50', value: ours.p50, unit: 'ms', digits: 3 },
      { name: 'handler latency p99', value: ours.p99, unit: 'ms', digits: 3 },
      { name: 'raw GetHLSStreamingSessionURL p50', value: sdk.p50, unit: 'ms', digits: 3 },
      { name: 'raw GetHLSStreamingSessionURL p99', value: sdk.p99, unit: 'ms', digits: 3 },
      {
        name: 'overhead p50 (handler − raw)',
        value: ours.p50 - sdk.p50,
        unit: 'ms',
        digits: 3,
        target: { op: '<=', value: 1 },
      },
      {
        name: 'overhead p99 (handler − raw)',
        value: ours.p99 - sdk.p99,
        unit: 'ms',
        digits: 3,
        target: { op: '<=', value: 3 },
      },
      { name: 'latency ratio handler / raw (p50)', value: ours.p50 / sdk.p50, unit: '×' },
      { name: 'same middy stack, in-memory KVS port, p50', value: alone.p50, unit: 'ms', digits: 3 },
      { name: 'same middy stack, in-memory KVS port, p99', value: alone.p99, unit: 'ms', digits: 3 },
    ];
    const freshness = await measureGrantFreshness({
      workDir: join(options.workDir, 'overhead'),
      rounds: Math.min(iterations, options.quick ? 300 : 1000),
      warmup: Math.min(100, warmup),
      handlerOf: (grants) => createHandler(inProcessDeps(grants)),
      timed,
    });
    figures.push(...freshness.figures);
    return {
      id: 'overhead',
      title: '2. Overhead per vend (warm)',
      figures,
      notes: [
        `${iterations} interleaved rounds (handler, raw call, handler with an in-memory KVS port) after ${warmup} warm-up rounds, one at a time, in one process with the emulator (no added latency, quotas lifted). Overhead = percentile of handler latency − same percentile of the raw SDK call on a long-lived client; the per-pair difference is in the JSON (paired p50 ${paired.p50.toFixed(3)} ms, p99 ${paired.p99.toFixed(3)} ms).`,
        'The handler runs as deployed: INFO logging with the audit line and EMF metrics written to stdout (redirected to bench/results/overhead.log).',
        freshness.note,
      ],
      details: { handler: ours, raw: sdk, paired, inMemoryKvs: alone, grantFreshness: freshness.details },
    };
  } finally {
    await emulator.stop();
  }
}

/**
 * The price of grant changes counting from the next request: the same middy stack and in-memory KVS port
 * with the grants table in a local DynamoDB-compatible server (dynalite, in this process), once with the
 * control-epoch check (one GetItem per vend, as deployed) and once as before it (the cache alone, 30 s),
 * interleaved call by call. DynamoDB calls are counted on each side's own client.
 */
async function measureGrantFreshness(options: {
  workDir: string;
  rounds: number;
  warmup: number;
  handlerOf: (grants: VendHandlerDeps['grants']) => ProxyHandler;
  timed: (handler: ProxyHandler) => Promise<number>;
}): Promise<{ figures: Figure[]; note: string; details: Record<string, unknown> }> {
  const grantsFile = join(options.workDir, 'bench-grants-dynamodb.json');
  writeFileSync(grantsFile, JSON.stringify(BENCH_GRANTS));
  const dynamo = await startLocalDynamoDb({ grantsFile });
  const clients: DynamoDBClient[] = [];
  try {
    const side = (epochCheck: boolean) => {
      const calls = { reads: 0, vends: 0 };
      const client = new DynamoDBClient({
        region: BENCH_REGION,
        endpoint: dynamo.endpoint,
        credentials: BENCH_CREDENTIALS,
      });
      client.middlewareStack.add(
        (next) => (args) => {
          calls.reads += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countCalls' },
      );
      clients.push(client);
      const store = createDynamoDbGrantStore({
        tableName: dynamo.tableName,
        region: BENCH_REGION,
        cacheTtlMs: 30_000,
        epochCheck,
        client,
      });
      return { calls, handler: options.handlerOf(store) };
    };
    const sides = { epoch: side(true), cacheOnly: side(false) };
    for (let index = 0; index < options.warmup; index += 1) {
      await options.timed(sides.epoch.handler);
      await options.timed(sides.cacheOnly.handler);
    }
    for (const { calls } of Object.values(sides)) {
      calls.reads = 0;
    }
    const ms = { epoch: [] as number[], cacheOnly: [] as number[] };
    for (let index = 0; index < options.rounds; index += 1) {
      const order = index % 2 === 0 ? (['epoch', 'cacheOnly'] as const) : (['cacheOnly', 'epoch'] as const);
      for (const name of order) {
        ms[name].push(await options.timed(sides[name].handler));
        sides[name].calls.vends += 1;
      }
    }
    const epoch = summarize(ms.epoch);
    const cacheOnly = summarize(ms.cacheOnly);
    const readsPerVend = {
      epoch: sides.epoch.calls.reads / sides.epoch.calls.vends,
      cacheOnly: sides.cacheOnly.calls.reads / sides.cacheOnly.calls.vends,
    };
    return {
      figures: [
        {
          name: 'DynamoDB reads per vend, grants cache alone (before)',
          value: readsPerVend.cacheOnly,
          unit: '',
          digits: 3,
        },
        {
          name: 'DynamoDB reads per vend, with the control epoch',
          value: readsPerVend.epoch,
          unit: '',
          digits: 3,
        },
        {
          name: 'extra DynamoDB reads per vend (epoch − cache alone)',
          value: readsPerVend.epoch - readsPerVend.cacheOnly,
          unit: '',
          digits: 3,
          target: { op: '<=', value: 1 },
        },
        { name: 'vend, grants in DynamoDB, cache alone, p50', value: cacheOnly.p50, unit: 'ms', digits: 3 },
        {
          name: 'vend, grants in DynamoDB, with the epoch read, p50',
          value: epoch.p50,
          unit: 'ms',
          digits: 3,
        },
        {
          name: 'vend, grants in DynamoDB, with the epoch read, p99',
          value: epoch.p99,
          unit: 'ms',
          digits: 3,
        },
        {
          name: 'latency of the epoch read (p50 difference)',
          value: epoch.p50 - cacheOnly.p50,
          unit: 'ms',
          digits: 3,
        },
      ],
      note: `Grant freshness: ${options.rounds} interleaved rounds after ${options.warmup} warm-up rounds, the in-memory KVS port, grants in a local dynalite (in this process, so its latency is that of a JavaScript server, not of DynamoDB: the read count is the figure that carries over). Cache alone = before the admin API (a change counts after the 30 s cache); with the epoch = as deployed (a change counts from the next request).`,
      details: { epoch, cacheOnly, readsPerVend },
    };
  } finally {
    for (const client of clients) client.destroy();
    await dynamo.stop();
  }
}
