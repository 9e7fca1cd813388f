import {
  DEFAULT_QUOTAS,
  loadStreamConfigs,
  startKvsEmulator,
  type Quotas,
  type RunningEmulator,
  type StreamConfig,
} from '@kvs-url-vending/kvs-emulator';
import { BENCH_CREDENTIALS, BENCH_REGION } from './handler-env';

const SESSION_URL_OPERATIONS = ['GetHLSStreamingSessionURL', 'GetDASHStreamingSessionURL'];
const THROTTLED = ':ClientLimitExceededException';

export interface KvsCallCounts {
  /** GetDataEndpoint calls KVS answered without throttling. */
  readonly getDataEndpoint: number;
  /** Session-URL calls KVS answered without throttling. */
  readonly sessionUrl: number;
  /** Calls of either kind refused with ClientLimitExceededException. */
  readonly throttled: number;
}

export interface BenchEmulator {
  readonly endpoint: string;
  readonly emulator: RunningEmulator;
  kvsCalls(): KvsCallCounts;
  resetCounters(): void;
  stop(): Promise<void>;
}

/** Names of the extra streams of the many-streams scenario, the same in every process. */
export function benchStreamNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `bench-${String(index).padStart(5, '0')}`);
}

/** Every per-second quota of the emulator raised far beyond what one machine can send. */
export function liftedQuotas(): Quotas {
  const names = Object.keys(DEFAULT_QUOTAS) as (keyof Quotas)[];
  return Object.fromEntries(names.map((name) => [name, 1e9])) as Record<keyof Quotas, number>;
}

/** The emulator's counters (calls per operation, and `<Operation>:<ErrorType>` per error) as KVS call counts. */
export function kvsCallCounts(counters: Readonly<Record<string, number>>): KvsCallCounts {
  const count = (name: string): number => counters[name] ?? 0;
  const throttledGde = count(`GetDataEndpoint${THROTTLED}`);
  const throttledSession = SESSION_URL_OPERATIONS.reduce((sum, op) => sum + count(`${op}${THROTTLED}`), 0);
  return {
    getDataEndpoint: count('GetDataEndpoint') - throttledGde,
    sessionUrl: SESSION_URL_OPERATIONS.reduce((sum, op) => sum + count(op), 0) - throttledSession,
    throttled: throttledGde + throttledSession,
  };
}

/**
 * The KVS emulator on a free port with the demo streams (plus `extraStreams`, live, video only), either the
 * service's quotas or none, and `addedLatencyMs` on every KVS operation to stand in for the network.
 */
export async function startBenchEmulator(options: {
  quotas: 'service' | 'lifted';
  addedLatencyMs: number;
  extraStreams?: readonly string[];
}): Promise<BenchEmulator> {
  const streams: StreamConfig[] = [
    ...loadStreamConfigs(),
    ...(options.extraStreams ?? []).map((name) => ({
      name,
      retentionHours: 1,
      media: 'fixture-video-only' as const,
    })),
  ];
  const emulator = await startKvsEmulator({
    port: 0,
    region: BENCH_REGION,
    credentials: BENCH_CREDENTIALS,
    streams,
    quotas: options.quotas === 'service' ? DEFAULT_QUOTAS : liftedQuotas(),
    faults: options.addedLatencyMs > 0 ? { latencyMs: { '*': options.addedLatencyMs } } : {},
  });
  return {
    endpoint: emulator.endpoint,
    emulator,
    kvsCalls: () => kvsCallCounts(emulator.counters()),
    resetCounters: () => emulator.resetCounters(),
    stop: () => emulator.stop(),
  };
}
