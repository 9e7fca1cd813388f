/** Settings shared by the scenarios; `BENCH_QUICK=1` shortens every timed phase. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Where scenarios may write scratch files (git-ignored). */
  readonly workDir: string;
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}
