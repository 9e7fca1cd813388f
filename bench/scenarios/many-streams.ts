import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { benchStreamNames, startBenchEmulator, type BenchEmulator } from '../lib/emulator';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { median, ratio } from '../lib/stats';
import type { PassResult } from './many-streams-pass';

interface Pass extends PassResult {
  readonly getDataEndpointCalls: number;
}

/** The least tolerance of the heap comparison: what a process's heap moves between two identical runs here. */
const HEAP_TOLERANCE_FLOOR_BYTES = 0.5 * 2 ** 20;

/** Runs one pass in a fresh `node --expose-gc` process against the emulator of this one. */
function pass(
  emulator: BenchEmulator,
  streamCount: number,
  rounds: number,
  cacheBound: number,
): Promise<Pass> {
  emulator.resetCounters();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(__dirname, 'many-streams-pass.ts'),
        emulator.endpoint,
        String(cacheBound),
        String(rounds),
        String(streamCount),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`many-streams pass (bound ${cacheBound}) exited with ${code}`));
        return;
      }
      const result = JSON.parse(stdout) as PassResult;
      resolve({ ...result, getDataEndpointCalls: emulator.kvsCalls().getDataEndpoint });
    });
  });
}

export async function runManyStreams(options: BenchOptions): Promise<ScenarioResult> {
  const streamCount = envNumber('BENCH_STREAMS', 1000);
  const rounds = envNumber('BENCH_ROUNDS', options.quick ? 3 : 5);
  const defaultBound = envNumber('BENCH_CACHE_BOUND', 1000);
  const smallBound = Math.max(1, Math.floor(streamCount / 4));
  const emulator = await startBenchEmulator({
    quotas: 'lifted',
    addedLatencyMs: 0,
    extraStreams: benchStreamNames(streamCount),
  });
  try {
    // Heap figures of a process move by a few hundred kilobytes from run to run, as much as the entries the
    // smaller bound saves: the passes are repeated, alternating, and compared by their medians within the
    // spread the repeats themselves show.
    const repeats = Math.max(1, envNumber('BENCH_HEAP_REPEATS', options.quick ? 1 : 3));
    const fitsRuns: Pass[] = [];
    const boundedRuns: Pass[] = [];
    for (let run = 0; run < repeats; run += 1) {
      process.stderr.write(`  ${streamCount} streams × ${rounds} rounds, cache bound ${defaultBound}\n`);
      fitsRuns.push(await pass(emulator, streamCount, rounds, defaultBound));
      process.stderr.write(`  ${streamCount} streams × ${rounds} rounds, cache bound ${smallBound}\n`);
      boundedRuns.push(await pass(emulator, streamCount, rounds, smallBound));
    }
    const fits = fitsRuns[0]!;
    const bounded = boundedRuns[0]!;
    const heap = (runs: readonly Pass[]) => runs.map((run) => run.heapBytes);
    const spread = (runs: readonly Pass[]) => Math.max(...heap(runs)) - Math.min(...heap(runs));
    const fitsHeap = median(heap(fitsRuns));
    const boundedHeap = median(heap(boundedRuns));
    const toleranceBytes = Math.max(HEAP_TOLERANCE_FLOOR_BYTES, spread(fitsRuns), spread(boundedRuns));
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
      {
        name: `bound ${defaultBound}: heap held by the adapter (median of ${repeats})`,
        value: mb(fitsHeap),
        unit: 'MB',
      },
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
        name: `bound ${smallBound}: heap held by the adapter (median of ${repeats}), within the tolerance of bound ${defaultBound}'s`,
        value: mb(boundedHeap),
        unit: 'MB',
        target: { op: '<=', value: mb(fitsHeap + toleranceBytes) },
      },
      {
        name: 'heap tolerance (largest spread of the repeats, at least 0.5 MB)',
        value: mb(toleranceBytes),
        unit: 'MB',
      },
      {
        name: 'heap per cache entry (difference of the two medians)',
        value: ratio(fitsHeap - boundedHeap, fits.entries - bounded.entries),
        unit: 'B',
        digits: 0,
      },
    ];
    return {
      id: 'many-streams',
      title: '4. Many streams',
      figures,
      notes: [
        `${streamCount} emulator streams, ${rounds} rounds of one LIVE HLS vend per stream (16 in flight) through one KVS adapter per pass, each pass in a fresh node --expose-gc process; quotas lifted (300 GetDataEndpoint/s per account would only slow the first round). Heap = heapUsed after vs before the pass, both after global.gc(), with the adapter alive: its endpoint cache, up to 64 archived-media clients and their keep-alive sockets.`,
        'With a bound below the number of streams, round-robin access is the worst case of an LRU: every lookup misses, so GetDataEndpoint calls = streams × rounds there; what that pass shows is that memory stays bounded.',
        `Heap: each pass ran ${repeats} time(s), alternating, each in a fresh process; the medians are compared within a tolerance of the largest spread the repeats showed (at least 0.5 MB: the ${fits.entries - bounded.entries} entries the smaller bound saves weigh less than a process's heap moves between runs, so the heap alone cannot tell the bounds apart; the entry count can, and is gated exactly). Heaps in MB, bound ${defaultBound}: ${heap(
          fitsRuns,
        )
          .map((bytes) => mb(bytes).toFixed(2))
          .join(', ')}; bound ${smallBound}: ${heap(boundedRuns)
          .map((bytes) => mb(bytes).toFixed(2))
          .join(', ')}.`,
      ],
      details: { fits: fitsRuns, bounded: boundedRuns, toleranceBytes },
    };
  } finally {
    await emulator.stop();
  }
}
