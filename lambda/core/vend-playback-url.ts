import { callerKey, type Admission, type SessionCounter } from './admission';
import { authorizePlayback } from './authorize-playback';
import { InvalidRequestError, RateLimitedError } from './errors';
import { STREAM_NAME_PATTERN, type Caller, type SessionUrlRequest, type VendResult } from './model';
import type { Clock, GrantStore, KvsPort } from './ports';
import { validatePlaybackRequest } from './validate-playback-request';

export interface VendDeps {
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  readonly clock: Clock;
  /** Abuse controls, checked once the request is authorized and before KVS is called. */
  readonly admission?: Admission;
  /** Optional cap on the sessions a user holds at once; a session counts until its expiresAt. */
  readonly sessions?: SessionCap;
}

export interface SessionCap {
  readonly counter: SessionCounter;
  readonly maxPerUser: number;
}

/** A refused session cap cannot know when a slot frees without another read: ask for a modest wait. */
const SESSION_CAP_RETRY_AFTER_SECONDS = 30;

export interface VendInput {
  readonly caller: Caller;
  readonly streamName: string;
  readonly body: unknown;
}

/** Rejects anything that is not a KVS stream name, before it reaches a store, a log line or KVS. */
export function assertStreamName(streamName: string): void {
  if (!STREAM_NAME_PATTERN.test(streamName)) {
    throw new InvalidRequestError('The stream name is invalid.', [
      { field: 'streamName', issue: 'must be 1-256 characters of a-z, A-Z, 0-9, _ . -' },
    ]);
  }
}

/**
 * Vends one playback URL. The order is the security contract: stream name, then body, then grants, and
 * only an authorized request reaches KVS. A refusal therefore looks the same whether or not the stream
 * exists. `expiresAt` is taken from before the KVS call, rounded down to the second, so it never
 * promises more than the session really lives.
 */
export async function vendPlaybackUrl(deps: VendDeps, input: VendInput): Promise<VendResult> {
  assertStreamName(input.streamName);
  const request = validatePlaybackRequest(input.body, deps.clock);
  const grants = await deps.grants.grantsFor(input.caller.principals);
  const now = deps.clock.now();
  const decision = authorizePlayback({
    caller: input.caller,
    grants,
    streamName: input.streamName,
    request,
    now,
  });
  if (deps.admission) {
    await deps.admission.admit({
      caller: input.caller,
      streamName: input.streamName,
      grants: decision.allowingGrants,
    });
  }
  const expiresAt = Math.floor(now / 1000) * 1000 + decision.expiresInSeconds * 1000;
  const sessions = deps.sessions && input.caller.kind === 'user' ? deps.sessions : undefined;
  if (
    sessions &&
    !(await sessions.counter.tryOpen(callerKey(input.caller), expiresAt, sessions.maxPerUser))
  ) {
    throw new RateLimitedError('Too many playback sessions open at once.', SESSION_CAP_RETRY_AFTER_SECONDS);
  }
  const sessionRequest: SessionUrlRequest = {
    ...request,
    streamName: input.streamName,
    expiresInSeconds: decision.expiresInSeconds,
  };
  let url: string;
  try {
    url = await deps.kvs.getSessionUrl(sessionRequest);
  } catch (error) {
    // No session was minted: give the slot back. Best effort; it frees itself at expiresAt anyway.
    await sessions?.counter.release(callerKey(input.caller), expiresAt).catch(() => undefined);
    throw error;
  }
  return {
    url,
    protocol: request.protocol,
    stream: input.streamName,
    playbackMode: request.playbackMode,
    expiresInSeconds: decision.expiresInSeconds,
    expiresAt,
    ...(request.start !== undefined ? { start: request.start } : {}),
    ...(request.end !== undefined ? { end: request.end } : {}),
    grantPrincipal: decision.grantPrincipal,
  };
}
