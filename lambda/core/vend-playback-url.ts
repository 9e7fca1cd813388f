import type { Admission, RateLimitedGrant } from './admission';
import { authorizePlayback } from './authorize-playback';
import { InvalidRequestError } from './errors';
import {
  STREAM_NAME_PATTERN,
  type Caller,
  type Grant,
  type SessionUrlRequest,
  type VendResult,
} from './model';
import type { Clock, GrantStore, KvsPort } from './ports';
import { validatePlaybackRequest } from './validate-playback-request';

export interface VendDeps {
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  readonly clock: Clock;
  /** Abuse controls, checked once the request is authorized and before KVS is called. */
  readonly admission?: Admission;
}

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
      // A store may attach a per-grant `rateLimit`; plain grants simply fall back to the default limit.
      grants: decision.allowingGrants as readonly (Grant & RateLimitedGrant)[],
    });
  }
  const sessionRequest: SessionUrlRequest = {
    ...request,
    streamName: input.streamName,
    expiresInSeconds: decision.expiresInSeconds,
  };
  const url = await deps.kvs.getSessionUrl(sessionRequest);
  return {
    url,
    protocol: request.protocol,
    stream: input.streamName,
    playbackMode: request.playbackMode,
    expiresInSeconds: decision.expiresInSeconds,
    expiresAt: Math.floor(now / 1000) * 1000 + decision.expiresInSeconds * 1000,
    ...(request.start !== undefined ? { start: request.start } : {}),
    ...(request.end !== undefined ? { end: request.end } : {}),
    grantPrincipal: decision.grantPrincipal,
  };
}
