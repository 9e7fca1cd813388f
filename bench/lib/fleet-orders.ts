/** Pure helpers of the fleet many-streams scenario: who vends what, and the busiest second of a counter. */

export interface Sample {
  readonly at: number;
  readonly calls: number;
}

/** The largest increase of the counter within any window of one second between two samples. */
export function peakPerSecond(samples: readonly Sample[]): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < samples.length; end += 1) {
    while (samples[end]!.at - samples[start]!.at > 1_000) start += 1;
    peak = Math.max(peak, samples[end]!.calls - samples[start]!.calls);
  }
  return peak;
}

/** A deterministic shuffle (mulberry32), so that every run deals the same orders. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let index = out.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [out[index], out[other]] = [out[other]!, out[index]!];
  }
  return out;
}

/**
 * The orders of each instance: every stream `perStream` times, each round in another order, dealt round
 * robin, so that a stream's vends fall on different instances at about the same time (the viewers of many
 * live streams arriving at a fleet whose instances each know few of them).
 */
export function dealOrders(streams: readonly string[], perStream: number, instances: number): string[][] {
  const orders: string[][] = Array.from({ length: instances }, () => []);
  let dealt = 0;
  for (let round = 0; round < perStream; round += 1) {
    for (const stream of shuffled(streams, 0x5eed + round)) {
      orders[dealt % instances]!.push(stream);
      dealt += 1;
    }
  }
  return orders;
}
