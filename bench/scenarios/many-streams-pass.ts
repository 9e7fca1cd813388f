import { createKvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import { benchStreamNames } from '../lib/emulator';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';

/**
 * One pass of the many-streams scenario in a process of its own (node --expose-gc), so that its heap holds
 * the adapter and nothing else: not the emulator, not an earlier adapter whose keep-alive sockets are still
 * open. Usage: many-streams-pass <kvs endpoint> <cache bound> <rounds> <streams>; prints JSON.
 */
export interface PassResult {
  readonly cacheBound: number;
  readonly vends: number;
  readonly failures: number;
  readonly hits: number;
  readonly lookups: number;
  readonly entries: number;
  readonly mediaClients: number;
  readonly heapBytes: number;
}

const CONCURRENCY = 16;

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  // Twice: the first collection may only queue finalizers whose memory the second one frees.
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

async function main(): Promise<void> {
  const [endpoint, bound, roundCount, streamCount] = process.argv.slice(2);
  const cacheBound = Number(bound);
  const rounds = Number(roundCount);
  const streams = benchStreamNames(Number(streamCount));
  if (!endpoint || !(cacheBound > 0) || !(rounds > 0) || streams.length === 0) {
    throw new Error('usage: many-streams-pass <kvs endpoint> <cache bound> <rounds> <streams>');
  }
  let hits = 0;
  let lookups = 0;
  let failures = 0;
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const adapter = createKvsAdapter({
    region: BENCH_REGION,
    endpoint,
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
  const result: PassResult = {
    cacheBound,
    vends: streams.length * rounds,
    failures,
    hits,
    lookups,
    entries: stats.size,
    mediaClients: stats.mediaClients,
    heapBytes: heapAfter - heapBefore,
  };
  process.stdout.write(JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
