import { loadavg } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbActivityTracker } from '../../lambda/adapters/admission/activity-tracker';
import { createAdmissionTable } from '../../lambda/adapters/admission/admission-table';
import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import { parseGrantRecords } from '../../lambda/adapters/grants/grant-records';
import { createStaticGrantStore } from '../../lambda/adapters/grants/static-grant-store';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { createKvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import { createAdmission } from '../../lambda/core/admission';
import { ADMISSION_DEFAULTS } from '../../lambda/vend/config';
import { createHandler, type VendHandlerDeps } from '../../lambda/vend/create-handler';
import { startDynamoDbThread } from '../fleet/dynamodb-thread';
import { startBenchEmulator } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_GRANTS, BENCH_REGION } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { ratio, summarize } from '../lib/stats';
import { benchIdentity } from '../lib/tokens';
import { lambdaContext, playbackUrlEvent, type ProxyHandler } from '../lib/vend-event';

const TITLE = '10. Latency admission adds (warm)';
const TABLE = 'kvs-url-vending-admission';
const STREAM = 'front-door';
const VIEWERS = 20;
/**
 * Limits far above what one process sends, so that every vend is admitted: the same conditional writes
 * per vend as with the defaults (one per limit, the activity item), without refusals that would end a
 * vend early and flatter the side with admission.
 */
const UNREACHED_LIMIT = { ratePerSecond: 100_000, burst: 100_000 };

/**
 * What admission adds to a warm vend: the same handler (the real middy stack, KVS adapter against the
 * emulator, no added latency, quotas lifted) with and without admission in dynalite, interleaved call by
 * call, in one process. Reported as ratios of the two sides' percentiles, not gated: the issue sets no
 * target for them.
 */
export async function runAdmissionOverhead(options: BenchOptions): Promise<ScenarioResult> {
  const iterations = envNumber('BENCH_ADMISSION_ITERATIONS', options.quick ? 400 : 2000);
  const warmup = Math.min(200, iterations);
  const loadBefore = loadavg()[0]!;
  const dynamoDb = await startDynamoDbThread(TABLE);
  const emulator = await startBenchEmulator({ quotas: 'lifted', addedLatencyMs: 0 });
  try {
    const identity = benchIdentity();
    const tokens = Array.from({ length: VIEWERS }, (_, index) =>
      identity.token(`viewer-${index}`, ['bench']),
    );
    const base: VendHandlerDeps = {
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
      kvs: createKvsAdapter({
        region: BENCH_REGION,
        endpoint: emulator.endpoint,
        credentials: BENCH_CREDENTIALS,
        callTimeoutMs: 2_000,
        retryBudgetMs: 4_000,
        endpointCacheTtlMs: 1_500_000,
        endpointCacheMaxEntries: 1000,
        streamListCacheTtlMs: 30_000,
      }),
      logger: new Logger({ serviceName: 'kvs-url-vending', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'KvsUrlVending', serviceName: 'kvs-url-vending' }),
    };
    const table = createAdmissionTable({
      tableName: TABLE,
      region: BENCH_REGION,
      endpoint: dynamoDb.endpoint,
      credentials: BENCH_CREDENTIALS,
      timeoutMs: ADMISSION_DEFAULTS.timeoutMs,
    });
    const sides: Record<'without' | 'with', ProxyHandler> = {
      without: createHandler(base),
      with: createHandler({
        ...base,
        admission: createAdmission({
          limiter: createDynamoDbRateLimiter({ table }),
          activity: createDynamoDbActivityTracker({ table }),
          callerLimit: UNREACHED_LIMIT,
          streamLimit: UNREACHED_LIMIT,
          streamShareWindowMs: ADMISSION_DEFAULTS.streamShareWindowSeconds * 1000,
          clock: { now: () => Date.now() },
          timeoutMs: ADMISSION_DEFAULTS.timeoutMs,
        }),
      }),
    };

    let turn = 0;
    const timed = async (side: 'without' | 'with'): Promise<number> => {
      const token = tokens[turn % VIEWERS]!;
      turn += 1;
      const started = performance.now();
      const result = await sides[side](playbackUrlEvent(STREAM, token), lambdaContext());
      const elapsed = performance.now() - started;
      if (result.statusCode !== 200) throw new Error(`${side} admission: answered ${result.statusCode}`);
      return elapsed;
    };
    for (let index = 0; index < warmup; index += 1) {
      await timed('without');
      await timed('with');
    }
    const samples = { without: [] as number[], with: [] as number[] };
    for (let index = 0; index < iterations; index += 1) {
      // Alternating which side goes first cancels any advantage of running right after the other.
      const order = index % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      for (const side of order) samples[side].push(await timed(side));
    }
    const without = summarize(samples.without);
    const withAdmission = summarize(samples.with);
    const figures: Figure[] = [
      { name: 'vend without admission p50', value: without.p50, unit: 'ms', digits: 2 },
      { name: 'vend without admission p99', value: without.p99, unit: 'ms', digits: 2 },
      { name: 'vend with admission p50', value: withAdmission.p50, unit: 'ms', digits: 2 },
      { name: 'vend with admission p99', value: withAdmission.p99, unit: 'ms', digits: 2 },
      {
        name: 'with / without admission (p50)',
        value: ratio(withAdmission.p50, without.p50),
        unit: '×',
        digits: 2,
      },
      {
        name: 'with / without admission (p99)',
        value: ratio(withAdmission.p99, without.p99),
        unit: '×',
        digits: 2,
      },
    ];
    return {
      id: 'admission-overhead',
      title: TITLE,
      figures,
      notes: [
        `Load average (1 min) of the machine ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
        `${iterations} interleaved rounds (one vend without admission, one with, alternating which goes first) after ${warmup} warm-up rounds, one vend at a time, in one process: the same middy stack, JWT verifier, grants and KVS adapter (warm endpoint cache) on both sides, against the KVS emulator (no added latency, quotas lifted); the side with admission also takes the caller limit, the stream share and the stream limit (a conditional write each) and records the caller in the stream's activity item (one more write), in dynalite, in a thread of its own, over loopback. ${VIEWERS} viewers take turns at one stream. The limits are set far above what one process sends so that every vend is admitted and both sides do the whole vend; the default ADMISSION_TIMEOUT_MS (${ADMISSION_DEFAULTS.timeoutMs} ms).`,
        'Reported, not gated: the issue sets no target for this ratio. dynalite is a JavaScript server on the same two cores; DynamoDB in a region answers a conditional write in single-digit milliseconds, so the absolute figures here are the local stack, and the ratio is what a reader should compare between runs.',
      ],
      details: { without, with: withAdmission },
    };
  } finally {
    await emulator.stop();
    await dynamoDb.stop();
  }
}
