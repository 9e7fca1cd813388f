import { MIN_EXPIRES_SECONDS, STREAM_NAME_PATTERN } from '../contract';
import { callerKey, type Admission } from './admission';
import { authorizePlayback, sessionLifetimeSeconds } from './authorize-playback';
import {
  failureOf,
  ForbiddenError,
  InvalidRequestError,
  RateLimitedError,
  UpstreamTimeoutError,
} from './errors';
import {
  DEFAULT_LIVE_MAX_FRAGMENTS,
  KVS_DEFAULT_MAX_FRAGMENTS,
  type Caller,
  type PlaybackRequest,
  type SessionUrlRequest,
  type VendResult,
} from './model';
import { accessOf, type Clock, type GrantStore, type KvsPort } from './ports';
import { applyRevocations } from './revocations';
import type { RequestOrigin, SessionLog, SessionRecord } from './sessions';
import { validatePlaybackRequest } from './validate-playback-request';

export interface VendDeps {
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  readonly clock: Clock;
  /** Admission (caller limit, stream share), checked once the request is authorized and before KVS is called. */
  readonly admission?: Admission;
  /** Where every vend is recorded, and the optional cap on the sessions a user holds at once. */
  readonly sessions?: Sessions;
  /** The most fragments a LIVE session may list, HLS and DASH alike. Default 10. */
  readonly liveMaxFragments?: number;
  /**
   * How long after the lifetime is settled KVS may still start the session's clock: the session record's
   * write, then the KVS retry budget. Sessions are shortened by it so that none outlives its grant's
   * notAfter. Default 0.
   */
  readonly sessionStartSlackMs?: number;
}

export interface Sessions {
  readonly log: SessionLog;
  /**
   * The session cap: the most sessions a user holds at once (a session counts until its expiresAt),
   * counted on the session log's records. Absent or 0: no cap. Partners are not capped.
   */
  readonly capPerUser?: number;
}

/** A refused session cap cannot know when a slot frees without another read: ask for a modest wait. */
const SESSION_CAP_RETRY_AFTER_SECONDS = 30;

export interface VendInput {
  readonly caller: Caller;
  readonly streamName: string;
  readonly body: unknown;
  /** What the session log keeps of the request. */
  readonly origin?: RequestOrigin;
  /**
   * How long the caller may still wait, read when KVS is about to be called (the Lambda invocation's time
   * left, less a margin to answer): KVS gets no more, and none at all when nothing is left.
   */
  readonly timeLeftMs?: () => number;
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
 * The fragment limit of the session: what was asked, or the KVS default of the mode, and for LIVE never
 * more than `liveMaxFragments`, because a LIVE playlist lists "the most recent fragments, up to this
 * value" and would otherwise reach hours back, past any archive window.
 */
function sessionMaxFragments(request: PlaybackRequest, liveMaxFragments: number): number {
  const asked = request.maxFragments ?? KVS_DEFAULT_MAX_FRAGMENTS[request.playbackMode];
  return request.playbackMode === 'LIVE' ? Math.min(asked, liveMaxFragments) : asked;
}

/**
 * Vends one playback URL. The order is the security contract: stream name, then body, then grants, and
 * only an authorized request reaches KVS. A refusal therefore looks the same whether or not the stream
 * exists. The session's lifetime is settled right before the KVS call, with the retry budget as slack,
 * so that the session KVS starts when it answers still ends before the allowing grant's notAfter;
 * `expiresAt` is taken from that moment, rounded down to the second, so it never promises more than the
 * session really lives.
 */
export async function vendPlaybackUrl(deps: VendDeps, input: VendInput): Promise<VendResult> {
  assertStreamName(input.streamName);
  const request = validatePlaybackRequest(input.body, deps.clock);
  const access = await accessOf(deps.grants, input.caller.principals).catch(failureOf('grants'));
  const slackMs = deps.sessionStartSlackMs ?? 0;
  const now = deps.clock.now();
  // A revoked caller is refused here, as one without a grant; a revoked group's grants stop counting.
  const caller = applyRevocations(input.caller, access.revocations, now);
  const decision = authorizePlayback({
    caller,
    grants: access.grants,
    streamName: input.streamName,
    request,
    now,
    sessionStartSlackMs: slackMs,
  });
  if (deps.admission) {
    await deps.admission
      .admit({ caller, streamName: input.streamName, grants: decision.allowingGrants })
      .catch(failureOf('admission'));
  }
  // Admission took time: settle the lifetime against the grant's notAfter now. KVS may start the session
  // as late as `slackMs` from here (the session record's write, then the KVS retry budget).
  const callAt = deps.clock.now();
  const expiresInSeconds = Math.min(
    decision.expiresInSeconds,
    sessionLifetimeSeconds(decision.grant, request.expiresInSeconds, callAt + slackMs),
  );
  if (expiresInSeconds < MIN_EXPIRES_SECONDS) throw new ForbiddenError();
  const expiresAt = Math.floor(callAt / 1000) * 1000 + expiresInSeconds * 1000;
  const session = deps.sessions
    ? sessionRecord(caller, decision.grantPrincipal, input, request, expiresAt, callAt)
    : undefined;
  if (deps.sessions && session) {
    const cap = caller.kind === 'user' ? deps.sessions.capPerUser : undefined;
    const opened = await deps.sessions.log
      .open(session, cap !== undefined && cap > 0 ? cap : undefined)
      .catch(failureOf('sessions'));
    if (!opened) {
      throw new RateLimitedError('Too many playback sessions open at once.', SESSION_CAP_RETRY_AFTER_SECONDS);
    }
  }
  const maxFragments = sessionMaxFragments(request, deps.liveMaxFragments ?? DEFAULT_LIVE_MAX_FRAGMENTS);
  const sessionRequest: SessionUrlRequest = {
    ...request,
    streamName: input.streamName,
    expiresInSeconds,
    maxFragments,
  };
  const budgetMs = input.timeLeftMs?.();
  if (budgetMs !== undefined && budgetMs <= 0) {
    // No session will be minted: its record goes (best effort, as below).
    if (deps.sessions && session) await deps.sessions.log.discard(session).catch(() => undefined);
    throw new UpstreamTimeoutError(
      'The service ran out of time before Kinesis Video Streams could be asked.',
    );
  }
  let url: string;
  try {
    url = await deps.kvs
      .getSessionUrl(sessionRequest, budgetMs !== undefined ? { budgetMs } : undefined)
      .catch(failureOf('kvs'));
  } catch (error) {
    // No session was minted: its record goes (best effort: one left behind ends at its expiresAt).
    if (deps.sessions && session) await deps.sessions.log.discard(session).catch(() => undefined);
    throw error;
  }
  return {
    url,
    protocol: request.protocol,
    stream: input.streamName,
    playbackMode: request.playbackMode,
    expiresInSeconds,
    expiresAt,
    maxFragments,
    ...(request.start !== undefined ? { start: request.start } : {}),
    ...(request.end !== undefined ? { end: request.end } : {}),
    grantPrincipal: decision.grantPrincipal,
  };
}

/** What the session log keeps of a vend: never the URL. */
function sessionRecord(
  caller: Caller,
  grantPrincipal: string,
  input: VendInput,
  request: PlaybackRequest,
  expiresAt: number,
  createdAt: number,
): SessionRecord {
  const origin = input.origin;
  return {
    principal: callerKey(caller),
    grantPrincipal,
    stream: input.streamName,
    protocol: request.protocol,
    playbackMode: request.playbackMode,
    ...(request.start !== undefined ? { start: request.start } : {}),
    ...(request.end !== undefined ? { end: request.end } : {}),
    expiresAt,
    createdAt,
    requestId: origin?.requestId ?? 'unknown',
    ...(origin?.sourceIp !== undefined ? { sourceIp: origin.sourceIp } : {}),
    ...(origin?.userAgent !== undefined ? { userAgent: origin.userAgent } : {}),
  };
}
