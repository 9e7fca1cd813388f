/**
 * A closed-loop load generator: N callers, each sends its next request when the previous one has been
 * answered, for a fixed time. Callers behave like well-mannered clients: after a 429 or a 503 they wait what
 * `Retry-After-Ms` says, or else `Retry-After`; after either without it, or another 5xx, they back off exponentially with full jitter
 * (100 ms doubling to 2 s, reset by a success). Without this a throttled side would be measured as a
 * retry storm rather than as a service.
 */
export interface AttemptOutcome {
  readonly status: number;
  /** Seconds, from the `Retry-After` header. */
  readonly retryAfterSeconds?: number;
  /** The same wait to the millisecond, from `Retry-After-Ms` when the answer has it (preferred). */
  readonly retryAfterMs?: number;
  /** What refused the attempt (a 429's limit), to break `afterRetryAfter` down by. */
  readonly refusedBy?: string;
}

export interface RetryCount {
  readonly attempts: number;
  readonly successes: number;
}

export interface ClosedLoopOptions {
  readonly callers: number;
  /** Length of the measured window. */
  readonly durationMs: number;
  /**
   * Load before the measured window, not recorded: it drains full token buckets and fills caches so the
   * window shows the steady state. Default 0.
   */
  readonly warmUpMs?: number;
  readonly attempt: (caller: number) => Promise<AttemptOutcome>;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
}

export interface ClosedLoopResult {
  /** Length of the measured window, ms. */
  readonly elapsedMs: number;
  /** Successes completed inside the measured window: the throughput figure. */
  readonly successes: number;
  /** Successes of requests still in flight at the end of the window, completed after it. */
  readonly tailSuccesses: number;
  /** Every success from the first call to the last answer, warm-up included (to set against server counters). */
  readonly allSuccesses: number;
  /** Attempts completed after measuring began (window and tail). */
  readonly attempts: number;
  /** Answers per HTTP status (and `thrown`) of the attempts completed after measuring began. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Latency of every success completed after measuring began (the slow tail included), ms. */
  readonly successLatenciesMs: readonly number[];
  /** When each success inside the measured window completed, ms after the window opened, in order. */
  readonly successTimesMs: readonly number[];
  /** Time callers spent waiting after a refusal, ms (summed over callers). */
  readonly waitedMs: number;
  /** Successes among the callers' first attempts (all sent at once when the run starts): the burst. */
  readonly firstAttemptSuccesses: number;
  /**
   * Attempts sent right after waiting out a 429's `Retry-After` in full (waits the deadline cut short
   * are not counted), and how many of them succeeded: whether waiting as told gets a caller in.
   */
  readonly afterRetryAfter: RetryCount;
  /** `afterRetryAfter` by what refused the attempt whose wait came before (`refusedBy`, or `unknown`). */
  readonly afterRetryAfterBy: Readonly<Record<string, RetryCount>>;
  /** 429 answers without a usable `Retry-After`. */
  readonly refusalsWithoutRetryAfter: number;
}

export function backoffDelayMs(
  outcome: AttemptOutcome,
  consecutiveFailures: number,
  random: () => number,
  baseMs: number,
  capMs: number,
): number {
  const says = outcome.status === 429 || outcome.status === 503;
  if (says && outcome.retryAfterMs !== undefined && outcome.retryAfterMs >= 0) return outcome.retryAfterMs;
  if (says && outcome.retryAfterSeconds !== undefined && outcome.retryAfterSeconds >= 0) {
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
  const successTimesMs: number[] = [];
  let attempts = 0;
  let successes = 0;
  let tailSuccesses = 0;
  let allSuccesses = 0;
  let waitedMs = 0;
  let firstAttemptSuccesses = 0;
  let refusalsWithoutRetryAfter = 0;
  const afterRetryAfter = { attempts: 0, successes: 0 };
  const afterRetryAfterBy: Record<string, { attempts: number; successes: number }> = {};
  const warmUpEnd = now() + (options.warmUpMs ?? 0);
  const deadline = warmUpEnd + options.durationMs;
  let measureStart: number | undefined;
  if (!options.warmUpMs) measureStart = now();

  const record = (outcome: AttemptOutcome, latency: number): void => {
    const success = outcome.status >= 200 && outcome.status < 300;
    if (success) allSuccesses += 1;
    if (measureStart === undefined) {
      if (now() < warmUpEnd) return;
      // The window opens with the first answer after the warm-up.
      measureStart = now();
    }
    attempts += 1;
    const key = outcome.status === 0 ? 'thrown' : String(outcome.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (success) {
      successLatenciesMs.push(latency);
      if (now() <= deadline) {
        successes += 1;
        successTimesMs.push(now() - measureStart);
      } else tailSuccesses += 1;
    }
  };

  const caller = async (index: number): Promise<void> => {
    let consecutiveFailures = 0;
    let first = true;
    let waitedAsTold = false;
    let waitedFor = 'unknown';
    while (now() < deadline) {
      const sent = now();
      let outcome: AttemptOutcome;
      try {
        outcome = await options.attempt(index);
      } catch {
        outcome = { status: 0 };
      }
      record(outcome, now() - sent);
      const success = outcome.status >= 200 && outcome.status < 300;
      if (first && success) firstAttemptSuccesses += 1;
      first = false;
      if (waitedAsTold && measureStart !== undefined) {
        const by = (afterRetryAfterBy[waitedFor] ??= { attempts: 0, successes: 0 });
        afterRetryAfter.attempts += 1;
        by.attempts += 1;
        if (success) {
          afterRetryAfter.successes += 1;
          by.successes += 1;
        }
      }
      waitedAsTold = false;
      if (outcome.status === 429 && outcome.retryAfterSeconds === undefined) refusalsWithoutRetryAfter += 1;
      if (success) {
        consecutiveFailures = 0;
        continue;
      }
      consecutiveFailures += 1;
      const retryable = outcome.status === 429 || outcome.status >= 500 || outcome.status === 0;
      if (!retryable) continue;
      const remaining = deadline - now();
      if (remaining <= 0) break;
      const asked = backoffDelayMs(outcome, consecutiveFailures, random, baseMs, capMs);
      const delay = Math.min(remaining, asked);
      waitedAsTold =
        outcome.status === 429 &&
        (outcome.retryAfterSeconds !== undefined || outcome.retryAfterMs !== undefined) &&
        delay === asked;
      waitedFor = outcome.refusedBy ?? 'unknown';
      waitedMs += delay;
      await sleep(delay);
    }
  };

  await Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));
  return {
    elapsedMs: measureStart === undefined ? 0 : deadline - measureStart,
    attempts,
    successes,
    tailSuccesses,
    allSuccesses,
    statuses,
    successLatenciesMs,
    successTimesMs,
    waitedMs,
    firstAttemptSuccesses,
    afterRetryAfter,
    afterRetryAfterBy,
    refusalsWithoutRetryAfter,
  };
}
