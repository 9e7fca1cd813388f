/**
 * A closed-loop load generator: N callers, each sends its next request when the previous one has been
 * answered, for a fixed time. Callers behave like well-mannered clients: after a 429 they wait what
 * `Retry-After` says; after a 429 without it, or a 5xx, they back off exponentially with full jitter
 * (100 ms doubling to 2 s, reset by a success). Without this a throttled side would be measured as a
 * retry storm rather than as a service.
 */
export interface AttemptOutcome {
  readonly status: number;
  /** Seconds, from the `Retry-After` header. */
  readonly retryAfterSeconds?: number;
}

export interface ClosedLoopOptions {
  readonly callers: number;
  readonly durationMs: number;
  readonly attempt: (caller: number) => Promise<AttemptOutcome>;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
}

export interface ClosedLoopResult {
  readonly elapsedMs: number;
  readonly attempts: number;
  readonly successes: number;
  /** Count of answers per HTTP status, plus `thrown` for attempts that rejected. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Latency of every successful (2xx) attempt, ms. */
  readonly successLatenciesMs: readonly number[];
  /** Time callers spent waiting after a refusal, ms (summed over callers). */
  readonly waitedMs: number;
}

export function backoffDelayMs(
  outcome: AttemptOutcome,
  consecutiveFailures: number,
  random: () => number,
  baseMs: number,
  capMs: number,
): number {
  if (outcome.status === 429 && outcome.retryAfterSeconds !== undefined && outcome.retryAfterSeconds >= 0) {
    return outcome.retryAfterSeconds * 1000;
  }
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, consecutiveFailures - 1));
  return random() * ceiling;
}

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const baseMs = options.backoffBaseMs ?? 100;
  const capMs = options.backoffCapMs ?? 2_000;
  const statuses: Record<string, number> = {};
  const successLatenciesMs: number[] = [];
  let attempts = 0;
  let waitedMs = 0;
  const started = now();
  const deadline = started + options.durationMs;

  const caller = async (index: number): Promise<void> => {
    let consecutiveFailures = 0;
    while (now() < deadline) {
      const sent = now();
      let outcome: AttemptOutcome;
      try {
        outcome = await options.attempt(index);
      } catch {
        outcome = { status: 0 };
      }
      const latency = now() - sent;
      attempts += 1;
      const key = outcome.status === 0 ? 'thrown' : String(outcome.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (outcome.status >= 200 && outcome.status < 300) {
        successLatenciesMs.push(latency);
        consecutiveFailures = 0;
        continue;
      }
      consecutiveFailures += 1;
      const retryable = outcome.status === 429 || outcome.status >= 500 || outcome.status === 0;
      if (!retryable) continue;
      const remaining = deadline - now();
      if (remaining <= 0) break;
      const delay = Math.min(remaining, backoffDelayMs(outcome, consecutiveFailures, random, baseMs, capMs));
      waitedMs += delay;
      await sleep(delay);
    }
  };

  await Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));
  return {
    elapsedMs: now() - started,
    attempts,
    successes: successLatenciesMs.length,
    statuses,
    successLatenciesMs,
    waitedMs,
  };
}
