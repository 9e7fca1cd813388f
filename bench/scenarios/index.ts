import type { BenchOptions } from '../lib/options';
import type { ScenarioResult } from '../lib/report';

export interface ScenarioDefinition {
  readonly id: string;
  readonly title: string;
  /** Extra flags for the node process the scenario runs in. */
  readonly nodeFlags: readonly string[];
  /** Upper bound on the scenario's wall time before it is stopped. */
  readonly timeoutMs: number;
  readonly run: (options: BenchOptions) => Promise<ScenarioResult>;
}

/** In the order they run; every scenario gets a fresh process so none inherits another's heap or caches. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    id: 'quota-throughput',
    title: '1. Per-stream vend throughput',
    nodeFlags: [],
    timeoutMs: 90_000,
    run: async (options) => (await import('./quota-throughput')).runQuotaThroughput(options),
  },
  {
    id: 'overhead',
    title: '2. Overhead per vend (warm)',
    nodeFlags: [],
    timeoutMs: 90_000,
    run: async (options) => (await import('./overhead')).runOverhead(options),
  },
  {
    id: 'cold-start',
    title: '3. Cold start',
    nodeFlags: [],
    timeoutMs: 120_000,
    run: async (options) => (await import('./cold-start')).runColdStart(options),
  },
  {
    id: 'many-streams',
    title: '4. Many streams',
    nodeFlags: [],
    timeoutMs: 120_000,
    run: async (options) => (await import('./many-streams')).runManyStreams(options),
  },
  {
    id: 'local-api',
    title: '5. Local API throughput',
    nodeFlags: [],
    timeoutMs: 90_000,
    run: async (options) => (await import('./local-api')).runLocalApi(options),
  },
  {
    id: 'cold-burst',
    title: '6. Cold burst at one stream (fleet)',
    nodeFlags: [],
    timeoutMs: 600_000,
    run: async (options) => (await import('./cold-burst')).runColdBurst(options),
  },
  {
    id: 'hot-stream',
    title: '7. Hot stream with admission on (fleet)',
    nodeFlags: [],
    timeoutMs: 300_000,
    run: async (options) => (await import('./hot-stream')).runHotStream(options),
  },
  {
    id: 'clip',
    title: '8. Clip duration',
    nodeFlags: [],
    timeoutMs: 240_000,
    run: async (options) => (await import('./clip')).runClip(options),
  },
  {
    id: 'fleet-many-streams',
    title: '9. Many streams across the fleet',
    nodeFlags: [],
    timeoutMs: 600_000,
    run: async (options) => (await import('./fleet-many-streams')).runFleetManyStreams(options),
  },
  {
    id: 'admission-overhead',
    title: '10. Latency admission adds (warm)',
    nodeFlags: [],
    timeoutMs: 180_000,
    run: async (options) => (await import('./admission-overhead')).runAdmissionOverhead(options),
  },
];
