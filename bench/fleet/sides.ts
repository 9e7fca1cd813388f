import type { BenchEmulator } from '../lib/emulator';
import type { CacheSide } from './messages';

/** How the fleet scenarios name the two sides they compare. */
export const SIDE_LABEL: Record<CacheSide, string> = {
  instance: 'per-instance cache',
  fleet: 'fleet cache',
};

/** GetDataEndpoint calls the emulator has received so far, and how many of them it throttled. */
export function dataEndpointCounts(emulator: BenchEmulator): { calls: number; throttled: number } {
  const counters = emulator.emulator.counters();
  return {
    calls: counters.GetDataEndpoint ?? 0,
    throttled: counters['GetDataEndpoint:ClientLimitExceededException'] ?? 0,
  };
}
