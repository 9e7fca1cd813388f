import { createKvsAdapter, type KvsAdapter } from '../../lambda/adapters/kvs-adapter';
import { startBenchEmulator, type BenchEmulator } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { ratio } from '../lib/stats';

const CONCURRENCY = 16;

interface Pass {
  readonly cacheBound: number;
  readonly vends: number;
  readonly failures: number;
  readonly hits: number;
  readonly lookups: number;
  readonly getDataEndpointCalls: number;
  readonly entries: number;
  readonly mediaClients: number;
  readonly heapBytes: number;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run this scenario with node --expose-gc');
  // Twice: the first pass may only schedule finalizers whose memory the second one frees.
  gc();
  gc();
}

async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** One adapter (as one Lambda instance holds), `rounds` vends of every stream in turn. */
async function pass(
  emulator: BenchEmulator,
  streams: readonly string[],
  rounds: number,
  cacheBound: number,
): Promise<Pass> {
  emulator.resetCounters();
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let hits = 0;
  let lookups = 0;
  let failures = 0;
  const adapter: KvsAdapter = createKvsAdapter({
    region: BENCH_REGION,
    endpoint: emulator.endpoint,
    credentials: BENCH_CREDENTIALS,
    callTimeoutMs: 2_000,
    retryBudgetMs: 4_000,
    endpointCacheTtlMs: 1_500_000,
    endpointCacheMaxEntries: cacheBound,
    streamListCacheTtlMs: 30_000,
    onEndpointCacheLookup: (hit) => {
      lookups += 1;
      if (hit) hits += 1;
    },
  });
  for (let round = 0; round < rounds; round += 1) {
    await inPool(streams, CONCURRENCY, async (streamName) => {
      try {
        await adapter.getSessionUrl({
          streamName,
          protocol: 'HLS',
          playbackMode: 'LIVE',
          timestampSource: 'SERVER',
          expiresInSeconds: 300,
        });
      } catch {
        failures += 1;
      }
    });
  }
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  const stats = adapter.endpointCacheStats();
  return {
    cacheBound,
    vends: streams.length * rounds,
    failures,
    hits,
    lookups,
    getDataEndpointCalls: emulator.kvsCalls().getDataEndpoint,
    entries: stats.size,
    mediaClients: stats.mediaClients,
    heapBytes: heapAfter - heapBefore,
  };
}

export async function runManyStreams(options: BenchOptions): Promise<ScenarioResult> {
  const streamCount = envNumber('BENCH_STREAMS', 1000);
  const rounds = envNumber('BENCH_ROUNDS', options.quick ? 3 : 5);
  const defaultBound = envNumber('BENCH_CACHE_BOUND', 1000);
  const smallBound = Math.max(1, Math.floor(streamCount / 4));
  const streams = Array.from(
    { length: streamCount },
    (_, index) => `bench-${String(index).padStart(4, '0')}`,
  );
  const emulator = await startBenchEmulator({ quotas: 'lifted', addedLatencyMs: 0, extraStreams: streams });
  try {
    process.stderr.write(`  ${streamCount} streams × ${rounds} rounds, cache bound ${defaultBound}\n`);
    const fits = await pass(emulator, streams, rounds, defaultBound);
    process.stderr.write(`  ${streamCount} streams × ${rounds} rounds, cache bound ${smallBound}\n`);
    const bounded = await pass(emulator, streams, rounds, smallBound);
    const expectedCalls = Math.min(streamCount, defaultBound);
    const expectedHitRatio = (fits.lookups - expectedCalls) / fits.lookups;
    const mb = (bytes: number): number => bytes / 2 ** 20;
    const figures: Figure[] = [
      {
        name: `bound ${defaultBound}: endpoint cache hit ratio`,
        value: 100 * ratio(fits.hits, fits.lookups),
        unit: '%',
        digits: 1,
        target: { op: '>=', value: 100 * expectedHitRatio },
      },
      {
        name: `bound ${defaultBound}: GetDataEndpoint calls`,
        value: fits.getDataEndpointCalls,
        unit: '',
        digits: 0,
        target: { op: '<=', value: expectedCalls },
      },
      {
        name: `bound ${defaultBound}: failed vends`,
        value: fits.failures,
        unit: '',
        digits: 0,
        target: { op: '<=', value: 0 },
      },
      { name: `bound ${defaultBound}: heap held by the adapter`, value: mb(fits.heapBytes), unit: 'MB' },
      {
        name: `bound ${smallBound}: cache entries`,
        value: bounded.entries,
        unit: '',
        digits: 0,
        target: { op: '<=', value: smallBound },
      },
      {
        name: `bound ${smallBound}: GetDataEndpoint calls (cyclic access misses by design)`,
        value: bounded.getDataEndpointCalls,
        unit: '',
        digits: 0,
      },
      {
        name: `bound ${smallBound}: heap held by the adapter`,
        value: mb(bounded.heapBytes),
        unit: 'MB',
        target: { op: '<=', value: mb(fits.heapBytes) },
      },
      {
        name: 'heap per cache entry',
        value: ratio(fits.heapBytes - bounded.heapBytes, fits.entries - bounded.entries),
        unit: 'B',
        digits: 0,
      },
    ];
    return {
      id: 'many-streams',
      title: '4. Many streams',
      figures,
      notes: [
        `${streamCount} emulator streams, ${rounds} rounds of one LIVE HLS vend per stream (${CONCURRENCY} in flight) through one KVS adapter per pass; quotas lifted (300 GetDataEndpoint/s per account would only slow the first round). Heap = heapUsed after vs before the pass, both after global.gc(), with the adapter alive.`,
        `With a bound below the number of streams, round-robin access is the LRU's worst case: every lookup misses, so GetDataEndpoint calls = streams × rounds there; the figure that matters is that memory stays bounded.`,
      ],
      details: { fits, bounded },
    };
  } finally {
    await emulator.stop();
  }
}
