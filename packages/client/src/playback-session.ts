import type { KvsUrlVendingClient } from './client.js';
import { systemClock, type Clock } from './clock.js';
import { ApiError } from './errors.js';
import type { PlaybackMode, PlaybackUrl, PlaybackUrlRequest, Protocol } from './types.js';

export type RenewalReason = 'expiring' | 'player-refused' | 'manual';

/** What a UI can show. No event ever carries the playback URL or its token. */
export type PlaybackSessionEvent =
  | {
      type: 'vended';
      generation: number;
      /** Absent for the first session. */
      reason?: RenewalReason;
      protocol: Protocol;
      playbackMode: PlaybackMode;
      expiresAt: string;
      expiresInSeconds: number;
    }
  | { type: 'renewal-scheduled'; generation: number; inSeconds: number }
  | { type: 'renewing'; reason: RenewalReason }
  | {
      type: 'waiting-for-media';
      attempt: number;
      retryInSeconds: number;
      /** The same wait to the millisecond (what the session waits). */
      retryInMs: number;
      /** The service's message (never a URL). */
      message: string;
      requestId?: string | undefined;
    }
  | {
      type: 'retrying';
      attempt: number;
      code: string;
      status: number;
      retryInSeconds: number;
      /** The same wait to the millisecond (what the session waits). */
      retryInMs: number;
      message: string;
      requestId?: string | undefined;
    }
  /** The current session ran out before a renewal succeeded; the player stalls once its buffer is spent. */
  | { type: 'expired'; generation: number }
  | { type: 'stopped'; reason: 'stopped' | 'error'; error?: ApiError };

export type PlaybackSessionState =
  'idle' | 'vending' | 'waiting-for-media' | 'active' | 'renewing' | 'stopped' | 'failed';

export interface PlaybackSessionOptions extends PlaybackUrlRequest {
  stream: string;
  /** Renew at least this long before the session expires. Default 30 s. */
  renewBeforeSeconds?: number;
  /**
   * Renew a random extra 0…jitterSeconds earlier, so that viewers who started together do not all renew in
   * the same second (KVS allows 25 session URLs per second per stream): a thousand viewers who started
   * together renew over 90 s, about 11 a second. Default 90 s.
   */
  jitterSeconds?: number;
  /** First wait while the stream has no media (404 NO_MEDIA); doubles up to `maxNoMediaPollSeconds`. Default 5. */
  noMediaPollSeconds?: number;
  /** Default 60. */
  maxNoMediaPollSeconds?: number;
  /** Longest wait between two tries after a 5xx or a network fault (without `Retry-After`). Default 30. */
  maxRetrySeconds?: number;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default Math.random; in [0, 1). */
  random?: () => number;
}

/** The session in force. `url` is a bearer credential: hand it to the player, nowhere else. */
export class ActiveSession {
  readonly #url: string;
  readonly generation: number;
  readonly protocol: Protocol;
  readonly playbackMode: PlaybackMode;
  readonly expiresAt: string;
  readonly expiresInSeconds: number;
  /** On the session's clock: when the answer arrived, and when the session ends counted from then. */
  readonly receivedAtMs: number;
  readonly expiresAtMs: number;

  constructor(vended: PlaybackUrl, generation: number, receivedAtMs: number) {
    this.#url = vended.url;
    this.generation = generation;
    this.protocol = vended.protocol;
    this.playbackMode = vended.playbackMode;
    this.expiresAt = vended.expiresAt;
    this.expiresInSeconds = vended.expiresInSeconds;
    this.receivedAtMs = receivedAtMs;
    // Counted from arrival rather than read from expiresAt: a device clock that is off does not matter.
    this.expiresAtMs = receivedAtMs + vended.expiresInSeconds * 1000;
  }

  get url(): string {
    return this.#url;
  }

  toJSON(): Record<string, unknown> {
    return {
      generation: this.generation,
      protocol: this.protocol,
      playbackMode: this.playbackMode,
      expiresAt: this.expiresAt,
      expiresInSeconds: this.expiresInSeconds,
    };
  }

  toString(): string {
    return `[ActiveSession ${this.generation} ${this.protocol} ${this.playbackMode}]`;
  }
}

export interface PlaybackSession {
  readonly stream: string;
  readonly state: PlaybackSessionState;
  /** The newest session; players follow it. Undefined before the first vend. */
  readonly current: ActiveSession | undefined;
  /** Starts vending (once); resolves with the first session, rejects with an ApiError if the session stops. */
  ready(): Promise<ActiveSession>;
  /**
   * Ask for a fresh session now. A player that got 403 from KVS passes the generation of the session it
   * used: when a newer one exists already, nothing is vended. Concurrent calls share one vend.
   */
  renew(reason?: RenewalReason, generation?: number): Promise<ActiveSession | undefined>;
  /** Listen to every event; returns the function that stops listening. */
  subscribe(listener: (event: PlaybackSessionEvent) => void): () => void;
  stop(): void;
}

const PLAYER_REFUSALS_WINDOW_MS = 60_000;
const MAX_PLAYER_REFUSALS = 3;

/**
 * A playback session that keeps itself supplied with a valid KVS URL: it vends, renews ahead of expiry
 * with jitter, renews at once when the player is refused, honours `Retry-After`, polls gently while the
 * stream has no media, and stops for good on an answer that retrying cannot change (FORBIDDEN, ...).
 */
export function createPlaybackSession(
  client: Pick<KvsUrlVendingClient, 'createPlaybackUrl'>,
  options: PlaybackSessionOptions,
): PlaybackSession {
  const {
    stream,
    renewBeforeSeconds = 30,
    jitterSeconds = 90,
    noMediaPollSeconds = 5,
    maxNoMediaPollSeconds = 60,
    maxRetrySeconds = 30,
    clock = systemClock,
    random = Math.random,
    ...request
  } = options;
  const listeners = new Set<(event: PlaybackSessionEvent) => void>();
  let state: PlaybackSessionState = 'idle';
  let current: ActiveSession | undefined;
  let generation = 0;
  let firstReceivedAtMs: number | undefined;
  let renewTimer: unknown;
  let expiryTimer: unknown;
  let inFlight: Promise<ActiveSession | undefined> | undefined;
  let cancelWait: (() => void) | undefined;
  let failure: ApiError | undefined;
  const abort = new AbortController();
  const refusals: number[] = [];
  const waiters: { resolve: (session: ActiveSession) => void; reject: (error: unknown) => void }[] = [];

  /** Read through a function: the state changes while a vend awaits, which narrowing cannot see. */
  const isOver = (): boolean => state === 'stopped' || state === 'failed';

  const emit = (event: PlaybackSessionEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A broken listener must not break playback.
      }
    }
  };

  const settleWaiters = (): void => {
    for (const waiter of waiters.splice(0)) {
      if (current && state !== 'failed' && state !== 'stopped') waiter.resolve(current);
      else waiter.reject(failure ?? new Error('The playback session was stopped.'));
    }
  };

  /** The request for a vend at `nowMs`: a LIVE_REPLAY moves its start with the replay, so it never rewinds. */
  const requestAt = (nowMs: number): PlaybackUrlRequest => {
    if (request.playbackMode !== 'LIVE_REPLAY' || !request.start || firstReceivedAtMs === undefined) {
      return request;
    }
    const startMs = Date.parse(request.start);
    let movedMs = Math.floor((startMs + (nowMs - firstReceivedAtMs)) / 1000) * 1000;
    if (request.end) movedMs = Math.min(movedMs, Date.parse(request.end) - 1000);
    return { ...request, start: new Date(Math.max(startMs, movedMs)).toISOString() };
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const handle = clock.setTimeout(() => {
        cancelWait = undefined;
        resolve();
      }, ms);
      cancelWait = () => {
        clock.clearTimeout(handle);
        cancelWait = undefined;
        resolve();
      };
    });

  const retryDelayMs = (error: ApiError, attempt: number): number => {
    const told =
      error.retryAfterMs ??
      (error.retryAfterSeconds !== undefined
        ? // As told, plus a little spread so that a crowd told the same does not come back in the same instant.
          error.retryAfterSeconds * 1000 + random() * Math.min(5_000, 1_000 + error.retryAfterSeconds * 250)
        : undefined);
    // A refusal (429) is waited out as told: the service's own place for this request (Retry-After-Ms, to
    // the millisecond, already spread: a longer wait could find the room taken), or Retry-After.
    if (error.status === 429 && told !== undefined) return told;
    // A fault (5xx, no answer) backs off exponentially, and never sooner than the service said: a 503's
    // Retry-After is a few seconds whatever the outage's length, and every viewer retrying at that pace
    // would keep an ailing service busy.
    const ceiling = Math.min(maxRetrySeconds * 1000, 1_000 * 2 ** attempt);
    return Math.max(told ?? 0, ceiling / 2 + (random() * ceiling) / 2);
  };

  const noMediaDelayMs = (attempt: number): number => {
    const base = Math.min(maxNoMediaPollSeconds * 1000, noMediaPollSeconds * 1000 * 2 ** attempt);
    return base * (0.8 + random() * 0.4);
  };

  const scheduleRenewal = (session: ActiveSession): void => {
    clock.clearTimeout(renewTimer);
    clock.clearTimeout(expiryTimer);
    const lifetimeMs = session.expiresAtMs - session.receivedAtMs;
    const leadMs = Math.min(lifetimeMs / 2, renewBeforeSeconds * 1000 + random() * jitterSeconds * 1000);
    const delayMs = Math.max(0, lifetimeMs - leadMs);
    renewTimer = clock.setTimeout(() => void renew('expiring').catch(() => undefined), delayMs);
    expiryTimer = clock.setTimeout(() => {
      if (current === session && state !== 'stopped' && state !== 'failed') {
        emit({ type: 'expired', generation: session.generation });
      }
    }, lifetimeMs);
    emit({
      type: 'renewal-scheduled',
      generation: session.generation,
      inSeconds: Math.round(delayMs / 1000),
    });
  };

  const fail = (error: ApiError): void => {
    failure = error;
    state = 'failed';
    clock.clearTimeout(renewTimer);
    clock.clearTimeout(expiryTimer);
    abort.abort();
    emit({ type: 'stopped', reason: 'error', error });
    settleWaiters();
  };

  const vend = async (reason: RenewalReason | undefined): Promise<ActiveSession | undefined> => {
    for (let attempt = 0; ; attempt += 1) {
      if (isOver()) return undefined;
      try {
        const vended = await client.createPlaybackUrl(stream, requestAt(clock.now()), {
          signal: abort.signal,
        });
        if (isOver()) return undefined;
        generation += 1;
        const session = new ActiveSession(vended, generation, clock.now());
        firstReceivedAtMs ??= session.receivedAtMs;
        current = session;
        state = 'active';
        emit({
          type: 'vended',
          generation,
          ...(reason ? { reason } : {}),
          protocol: session.protocol,
          playbackMode: session.playbackMode,
          expiresAt: session.expiresAt,
          expiresInSeconds: session.expiresInSeconds,
        });
        scheduleRenewal(session);
        settleWaiters();
        return session;
      } catch (caught) {
        if (isOver()) return undefined;
        const error =
          caught instanceof ApiError
            ? caught
            : new ApiError({ code: 'NETWORK_ERROR', status: 0, message: 'The API could not be reached.' });
        let delayMs: number;
        if (error.code === 'NO_MEDIA') {
          delayMs = noMediaDelayMs(attempt);
          if (!current) state = 'waiting-for-media';
          emit({
            type: 'waiting-for-media',
            attempt: attempt + 1,
            retryInSeconds: Math.round(delayMs / 1000),
            retryInMs: Math.round(delayMs),
            message: error.message,
            requestId: error.requestId,
          });
        } else if (error.retryable) {
          delayMs = retryDelayMs(error, attempt);
          emit({
            type: 'retrying',
            attempt: attempt + 1,
            code: error.code,
            status: error.status,
            retryInSeconds: Math.round(delayMs / 1000),
            retryInMs: Math.round(delayMs),
            message: error.message,
            requestId: error.requestId,
          });
        } else {
          fail(error);
          return undefined;
        }
        await wait(delayMs);
      }
    }
  };

  const renew = (
    reason: RenewalReason = 'manual',
    fromGeneration?: number,
  ): Promise<ActiveSession | undefined> => {
    if (state === 'stopped' || state === 'failed') return Promise.resolve(undefined);
    if (inFlight) return inFlight;
    if (fromGeneration !== undefined && current && fromGeneration < current.generation) {
      return Promise.resolve(current);
    }
    if (reason === 'player-refused') {
      const nowMs = clock.now();
      while (refusals.length > 0 && nowMs - refusals[0]! > PLAYER_REFUSALS_WINDOW_MS) refusals.shift();
      refusals.push(nowMs);
      if (refusals.length > MAX_PLAYER_REFUSALS) {
        fail(
          new ApiError({
            code: 'FORBIDDEN',
            status: 403,
            message: `KVS refused ${MAX_PLAYER_REFUSALS} fresh sessions within a minute; giving up.`,
          }),
        );
        return Promise.resolve(undefined);
      }
    }
    if (current) state = 'renewing';
    else state = 'vending';
    emit({ type: 'renewing', reason });
    clock.clearTimeout(renewTimer);
    inFlight = vend(reason).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const start = (): void => {
    if (state !== 'idle') return;
    state = 'vending';
    inFlight = vend(undefined).finally(() => {
      inFlight = undefined;
    });
  };

  return {
    stream,
    get state() {
      return state;
    },
    get current() {
      return current;
    },
    ready() {
      start();
      if (state === 'failed' || state === 'stopped') {
        return Promise.reject(failure ?? new Error('The playback session was stopped.'));
      }
      if (current) return Promise.resolve(current);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    renew,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      if (state === 'stopped' || state === 'failed') return;
      state = 'stopped';
      clock.clearTimeout(renewTimer);
      clock.clearTimeout(expiryTimer);
      abort.abort();
      cancelWait?.();
      emit({ type: 'stopped', reason: 'stopped' });
      settleWaiters();
    },
  };
}
