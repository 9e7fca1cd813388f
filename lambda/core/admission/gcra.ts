/**
 * The arithmetic of a rate limit kept as one number per key, so that every instance of the function can
 * take from it with a single conditional write and no read: the generic cell rate algorithm (GCRA).
 *
 * A limit of `ratePerSecond` with a `burst` is an emission interval `T = 1000 / ratePerSecond` ms and a
 * tolerance of `(burst - 1) × T`. The stored `tat` (theoretical arrival time, epoch ms) is when the limit
 * would be idle again if nothing else came. A request at `now` is allowed when `tat ≤ now + (burst - 1) × T`
 * and then moves `tat` to `max(tat, now) + T`. That is a token bucket of `burst` tokens refilled at
 * `ratePerSecond`, stated as a time instead of a count, and it needs no "last refill" of its own.
 *
 * A store cannot compute `max(tat, now)` in one write, so a take is one of two writes, each conditional
 * on the state it assumes: `take-idle` (`tat` absent or past: set it to `now + T`) and `take-busy` (`tat` in
 * the future but within the tolerance: add `T`). Concurrent takes of the same kind all succeed, each
 * adding its own `T`; a take whose condition fails learns the stored `tat` and tries the other kind, or is
 * refused when the stored `tat` says the limit is full. Losing a race therefore costs one more write, never
 * a refusal.
 *
 * A refused request is given a place in a queue kept beside `tat`: `qtat`, the end of the last place
 * given. Each refusal moves it on by one spacing, and `Retry-After` is the moment the limit has room for
 * that place: refused callers are spread out instead of all coming back in the same second, and a caller
 * that waits as told finds room (unless requests that were never refused took it first). `qtat` is advice
 * only: admission itself depends on `tat` alone.
 */

export interface RateLimit {
  /** Sustained rate: requests per second. */
  readonly ratePerSecond: number;
  /** How many requests may arrive at once after an idle period. */
  readonly burst: number;
  /**
   * How far ahead the queue of refused requests reaches, in seconds (1 to MAX_RETRY_AFTER_SECONDS, the
   * default); a refusal beyond it is told this long and takes no place. A queue that many callers share
   * (a stream's) is kept short: its far places are mostly callers who never came back.
   */
  readonly maxQueueSeconds?: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** 0 when allowed; otherwise whole seconds (at least 1) until the refused request has room, for `Retry-After`. */
  readonly retryAfterSeconds: number;
  /**
   * Refused: the same wait to the millisecond (`Retry-After-Ms`), for a client that can wait that exactly.
   * Callers told the same whole second would otherwise all come back at its start, and a limit takes only
   * its burst at once.
   */
  readonly retryAfterMs?: number;
}

/** What is stored for one key; both absent for a key never used. */
export interface GcraState {
  /** Theoretical arrival time, epoch ms. */
  readonly tat?: number;
  /** Theoretical arrival time of the last queued (refused) request, epoch ms. */
  readonly qtat?: number;
}

/** The longest `Retry-After` given: the queue is not extended beyond it. */
export const MAX_RETRY_AFTER_SECONDS = 60;

export function assertValidRateLimit(limit: RateLimit): void {
  if (!Number.isFinite(limit.ratePerSecond) || limit.ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${limit.ratePerSecond}`);
  }
  if (!Number.isFinite(limit.burst) || limit.burst < 1) {
    throw new RangeError(`burst must be at least 1, got ${limit.burst}`);
  }
  const horizon = limit.maxQueueSeconds;
  if (horizon !== undefined && !(horizon >= 1 && horizon <= MAX_RETRY_AFTER_SECONDS)) {
    throw new RangeError(`maxQueueSeconds must be from 1 to ${MAX_RETRY_AFTER_SECONDS}, got ${horizon}`);
  }
}

/**
 * How far apart queued places are: `1 s / k` with `k = floor(min(2 × burst, rate × 1 s))`. The queue never
 * hands out more places than the limit's rate. `Retry-After` is in whole seconds, so callers refused at the
 * same moment and given places in the same second come back at the same moment, and a limit takes only its
 * burst at once: a queue of `burst` places a second would never crowd it, but it also runs a limit whose
 * rate is well above its burst far below that rate (a stream limit of 20/s with a burst of 5 was used at
 * three quarters by a hundred callers waiting as told, `npm run bench -- hot-stream`). Callers are refused
 * at different moments as their own requests arrive, so their comebacks spread over the second; twice the
 * burst a second keeps a busy limit close to its rate, and a crowd refused at one instant and told the same
 * second is at most twice what the limit takes at once (half of it waits again). A limit slower than one
 * per second gives each place whole seconds, so that rounding up never lands a caller before the room of
 * the place before it is used.
 */
function placeSpacingMs(intervalMs: number, burst: number): number {
  const perSecond = Math.floor(Math.min(2 * burst, 1000 / intervalMs));
  return perSecond >= 1 ? 1000 / perSecond : Math.ceil(intervalMs / 1000) * 1000;
}

/** Milliseconds to three decimals: what is stored stays short, and sums of intervals stay exact enough. */
const toMicros = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The times one take at `now` compares against and writes, all epoch ms. */
export interface GcraTimes {
  /** `T`: what one request adds to `tat`. */
  readonly intervalMs: number;
  /** What one queued place adds to `qtat` (see placeSpacingMs). */
  readonly spacingMs: number;
  readonly now: number;
  /** `tat` after a take on an idle limit: `now + T`. */
  readonly idleTat: number;
  /** The latest `tat` at which a take is still allowed: `now + (burst - 1) × T`. */
  readonly latestTat: number;
  /** The latest `qtat` the queue is extended from: beyond it `Retry-After` would exceed its maximum. */
  readonly latestQtat: number;
  /** When the item stops mattering if nothing else comes (epoch seconds, the table's TTL attribute). */
  readonly expiresAtSeconds: number;
}

export function gcraTimes(limit: RateLimit, now: number): GcraTimes {
  assertValidRateLimit(limit);
  const intervalMs = toMicros(1000 / limit.ratePerSecond);
  const spacingMs = toMicros(placeSpacingMs(intervalMs, limit.burst));
  const toleranceMs = (limit.burst - 1) * intervalMs;
  // The place after the last one allowed has its room `queueSeconds` from now.
  const latestQtat = toMicros(now + queueSeconds(limit) * 1000 + toleranceMs);
  return {
    intervalMs,
    spacingMs,
    now,
    idleTat: toMicros(now + intervalMs),
    latestTat: toMicros(now + toleranceMs),
    latestQtat,
    // Long enough for the furthest `tat` or `qtat` a write may leave; TTL only tidies the table.
    expiresAtSeconds: Math.ceil((latestQtat + spacingMs) / 1000) + 1,
  };
}

/**
 * The one write to try for a state: a take of either kind, a place in the queue (first, or after the
 * last one), or nothing when the queue already reaches `MAX_RETRY_AFTER_SECONDS`. Each write's condition
 * (see the adapter) is exactly the state this function assumed, so a write against a state that changed
 * in between fails rather than doing the wrong thing.
 */
export type GcraStep = 'take-idle' | 'take-busy' | 'queue-first' | 'queue-next' | 'queue-full';

export function gcraStep(state: GcraState, times: GcraTimes): GcraStep {
  const { tat, qtat } = state;
  if (tat === undefined || tat <= times.now) return 'take-idle';
  if (tat <= times.latestTat) return 'take-busy';
  if (qtat === undefined || qtat <= tat) return 'queue-first';
  return qtat <= times.latestQtat ? 'queue-next' : 'queue-full';
}

/**
 * `Retry-After` for the queued place that ends at `qtat`: the limit has room for it at
 * `qtat − spacing − (burst − 1) × T` (for the first place, exactly when `tat` has come down to within the
 * tolerance). Whole seconds, rounded up, 1 to the maximum.
 */
export function retryAfterSeconds(qtat: number, limit: RateLimit, now: number): number {
  return secondsOf(retryAfterMs(qtat, limit, now));
}

/** When the limit has room for the queued place that ends at `qtat` (epoch ms). */
function roomOf(qtat: number, limit: RateLimit, now: number): number {
  const times = gcraTimes(limit, now);
  return qtat - times.spacingMs - (limit.burst - 1) * times.intervalMs;
}

/** Whole seconds of a wait, rounded up, 1 to the maximum. */
const secondsOf = (ms: number): number =>
  Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000 - 1e-9)));

/** Whether the limit already has room for the place that ends at `qtat`: the key emptied since it was full. */
export function placeIsDue(qtat: number, limit: RateLimit, now: number): boolean {
  return roomOf(qtat, limit, now) <= now;
}

/** The wait of `retryAfterSeconds` to the millisecond: 1 ms to the maximum. */
export function retryAfterMs(qtat: number, limit: RateLimit, now: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS * 1000, Math.max(1, Math.ceil(roomOf(qtat, limit, now) - now)));
}

/** A refusal with the `Retry-After` of the queued place that ends at `qtat`. */
export function refusalFor(qtat: number, limit: RateLimit, now: number): RateDecision {
  const ms = retryAfterMs(qtat, limit, now);
  return { allowed: false, retryAfterSeconds: secondsOf(ms), retryAfterMs: ms };
}

/** How far ahead a limit's queue reaches, in seconds. */
export const queueSeconds = (limit: RateLimit): number => limit.maxQueueSeconds ?? MAX_RETRY_AFTER_SECONDS;

/** The refusal of a full queue: the queue's whole length. */
export function queueFull(limit: RateLimit): RateDecision {
  const seconds = queueSeconds(limit);
  return { allowed: false, retryAfterSeconds: seconds, retryAfterMs: seconds * 1000 };
}

export interface GcraOutcome {
  readonly decision: RateDecision;
  /** The state after the step (unchanged for `queue-full`). */
  readonly next: GcraState;
}

/**
 * One request against a state, decided in memory: what the conditional writes of the adapter amount to
 * when nothing else writes in between. The in-memory fakes of the tests and the properties of the
 * algorithm are checked against it.
 */
export function applyGcra(state: GcraState, limit: RateLimit, now: number): GcraOutcome {
  const times = gcraTimes(limit, now);
  const step = gcraStep(state, times);
  switch (step) {
    case 'take-idle':
      return { decision: { allowed: true, retryAfterSeconds: 0 }, next: { ...state, tat: times.idleTat } };
    case 'take-busy':
      return {
        decision: { allowed: true, retryAfterSeconds: 0 },
        next: { ...state, tat: toMicros(state.tat! + times.intervalMs) },
      };
    case 'queue-first':
    case 'queue-next': {
      const base = step === 'queue-first' ? state.tat! : state.qtat!;
      const qtat = toMicros(base + times.spacingMs);
      return { decision: refusalFor(qtat, limit, now), next: { ...state, qtat } };
    }
    case 'queue-full':
      return { decision: queueFull(limit), next: state };
  }
}

/** The state after giving back one allowed take (another check of the same vend refused it). */
export function giveBackGcra(state: GcraState, limit: RateLimit): GcraState {
  if (state.tat === undefined) return state;
  return { ...state, tat: toMicros(state.tat - gcraTimes(limit, 0).intervalMs) };
}
