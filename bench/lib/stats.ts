/** Summary statistics of latency samples (milliseconds). */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Nearest-rank percentile: always one of the samples, so a p99 of 100 samples is the 99th smallest, never
 * an interpolation that no request actually saw.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    return { count: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  }
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of samples) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: sum / samples.length,
    min,
    max,
  };
}

/** `a / b`, or NaN when there is nothing to divide by (shown as "n/a", never as Infinity). */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
