import { join } from 'node:path';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parseGrantRecords } from '../../lambda/adapters/grants/grant-records';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { createStaticGrantStore } from '../../lambda/adapters/grants/static-grant-store';
import type { KvsPort } from '../../lambda/core/ports';
import { createHandler } from '../../lambda/vend/create-handler';
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
    const withoutKvs = createHandler({
      verifier: createJwtVerifier({
        issuer: identity.issuer,
        audience: identity.audience,
        algorithms: ['HS256'],
        secret: identity.secret,
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
      }),
      grants: createStaticGrantStore(parseGrantRecords(BENCH_GRANTS)),
      kvs: instantKvs,
      logger: new Logger({ serviceName: 'kvs-url-vending', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'KvsUrlVending', serviceName: 'kvs-url-vending' }),
    });

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
    return {
      id: 'overhead',
      title: '2. Overhead per vend (warm)',
      figures,
      notes: [
        `${iterations} interleaved rounds (handler, raw call, handler with an in-memory KVS port) after ${warmup} warm-up rounds, one at a time, in one process with the emulator (no added latency, quotas lifted). Overhead = percentile of handler latency − same percentile of the raw SDK call on a long-lived client; the per-pair difference is in the JSON (paired p50 ${paired.p50.toFixed(3)} ms, p99 ${paired.p99.toFixed(3)} ms).`,
        'The handler runs as deployed: INFO logging with the audit line and EMF metrics written to stdout (redirected to bench/results/overhead.log).',
      ],
      details: { handler: ours, raw: sdk, paired, inMemoryKvs: alone },
    };
  } finally {
    await emulator.stop();
  }
}
