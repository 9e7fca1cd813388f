import { INJECTABLE_ERRORS, type InjectableError } from './service-error';

/**
 * Faults keyed by operation name (`GetDataEndpoint`, `GetHLSStreamingSessionURL`, `GetHLSMediaPlaylist`,
 * `GetMP4MediaFragment`, ...) or `*` for every operation.
 */
export interface Faults {
  /** Added latency in milliseconds. */
  readonly latencyMs?: Readonly<Record<string, number>>;
  /** Share of calls (0–1) answered with an error instead. */
  readonly errorRate?: Readonly<Record<string, { readonly rate: number; readonly error: InjectableError }>>;
  /** The next N calls of the operation are throttled (ClientLimitExceededException), then it recovers. */
  readonly throttleBursts?: Readonly<Record<string, number>>;
  /** Seed of the random draws of `errorRate`, so that a fault run can be replayed. */
  readonly seed?: number;
}

function assertRecord(value: unknown, field: string): asserts value is Record<string, unknown> | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new Error(`${field} must be an object keyed by operation`);
  }
}

/** Validates a fault configuration (e.g. the body of `PUT /_admin/faults`). */
export function parseFaults(input: unknown): Faults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('faults must be an object');
  }
  const { latencyMs, errorRate, throttleBursts, seed, ...unknown } = input as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new Error(`unknown fault settings: ${extra.join(', ')}`);
  assertRecord(latencyMs, 'latencyMs');
  assertRecord(errorRate, 'errorRate');
  assertRecord(throttleBursts, 'throttleBursts');
  for (const [operation, value] of Object.entries(latencyMs ?? {})) {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new Error(`latencyMs.${operation} must be a number`);
    }
    if (!(value >= 0)) throw new Error(`latencyMs.${operation} must be >= 0`);
  }
  for (const [operation, value] of Object.entries(throttleBursts ?? {})) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(`throttleBursts.${operation} must be a non-negative integer`);
    }
  }
  for (const [operation, value] of Object.entries(errorRate ?? {})) {
    const { rate, error } = (value ?? {}) as { rate?: unknown; error?: unknown };
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new Error(`errorRate.${operation}.rate must be a number from 0 to 1`);
    }
    if (typeof error !== 'string' || !(error in INJECTABLE_ERRORS)) {
      throw new Error(
        `errorRate.${operation}.error must be one of ${Object.keys(INJECTABLE_ERRORS).join(', ')}`,
      );
    }
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new Error('seed must be an integer');
  }
  return input;
}

/** mulberry32: small, fast and reproducible from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultDecision =
  | { readonly kind: 'none'; readonly latencyMs: number }
  | { readonly kind: 'error'; readonly latencyMs: number; readonly error: InjectableError };

/** The live fault state: the configuration plus what is left of throttling bursts and the random stream. */
export class FaultInjector {
  private faults: Faults = {};
  private remainingBursts = new Map<string, number>();
  private random: () => number = seededRandom(1);

  constructor(initial: Faults = {}) {
    this.set(initial);
  }

  set(faults: Faults): void {
    this.faults = parseFaults(faults);
    this.remainingBursts = new Map(Object.entries(faults.throttleBursts ?? {}));
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** The configuration with throttling bursts as they stand now. */
  current(): Faults {
    return { ...this.faults, throttleBursts: Object.fromEntries(this.remainingBursts) };
  }

  decide(operation: string): FaultDecision {
    const latencyMs = this.faults.latencyMs?.[operation] ?? this.faults.latencyMs?.['*'] ?? 0;
    for (const key of [operation, '*']) {
      const remaining = this.remainingBursts.get(key) ?? 0;
      if (remaining > 0) {
        this.remainingBursts.set(key, remaining - 1);
        return { kind: 'error', latencyMs, error: 'ClientLimitExceeded' };
      }
    }
    const rule = this.faults.errorRate?.[operation] ?? this.faults.errorRate?.['*'];
    if (rule && rule.rate > 0 && this.random() < rule.rate)
      return { kind: 'error', latencyMs, error: rule.error };
    return { kind: 'none', latencyMs };
  }
}
