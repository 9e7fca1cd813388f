import { RateLimitedError } from '../../../lambda/core/errors';
import type { Admission } from '../../../lambda/core/admission';
import type { Caller } from '../../../lambda/core/model';
import type { FakeClock } from './admission-table';

export const user = (id: string): Caller => ({ kind: 'user', id, principals: [`user:${id}`] });

export interface Demand {
  readonly caller: Caller;
  /** Requests per second, evenly spaced. */
  readonly perSecond: number;
}

export interface SimulationResult {
  /** Admission times (epoch ms) per caller id. */
  readonly admitted: Map<string, number[]>;
  readonly requested: Map<string, number>;
  /** Every refusal carried a Retry-After of at least one second. */
  readonly refusalsWithoutRetryAfter: number;
}

/**
 * Replays the demand of several callers on one stream for `durationMs` of simulated time, in time
 * order (the greedier caller first when two arrive at once, the worst case for the others).
 */
export async function simulate(
  admit: (caller: Caller) => Promise<void>,
  clock: FakeClock,
  demands: readonly Demand[],
  durationMs: number,
): Promise<SimulationResult> {
  const start = clock.current;
  const events: { at: number; caller: Caller; rank: number }[] = [];
  demands.forEach((demand, rank) => {
    const interval = 1000 / demand.perSecond;
    for (let at = 0; at < durationMs; at += interval)
      events.push({ at: Math.round(at), caller: demand.caller, rank });
  });
  events.sort((a, b) => a.at - b.at || a.rank - b.rank);

  const admitted = new Map<string, number[]>(demands.map((demand) => [demand.caller.id, []]));
  const requested = new Map<string, number>(demands.map((demand) => [demand.caller.id, 0]));
  let refusalsWithoutRetryAfter = 0;
  for (const event of events) {
    clock.current = start + event.at;
    requested.set(event.caller.id, requested.get(event.caller.id)! + 1);
    try {
      await admit(event.caller);
      admitted.get(event.caller.id)!.push(clock.current);
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      if (!(error.retryAfterSeconds >= 1)) refusalsWithoutRetryAfter += 1;
    }
  }
  return { admitted, requested, refusalsWithoutRetryAfter };
}

export const admitOn =
  (admission: Admission, streamName: string) =>
  (caller: Caller): Promise<void> =>
    admission.admit({ caller, streamName });

/** The most admissions of all callers together in any one-second window. */
export function peakPerSecond(result: SimulationResult): number {
  const times = [...result.admitted.values()].flat().sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < times.length; last += 1) {
    while (times[last]! - times[first]! >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
