import { MIN_EXPIRES_SECONDS, type PlaybackMode, type Protocol, type TimestampSource } from '../contract';
import { grantHasCapability } from './capabilities';
import { ForbiddenError } from './errors';
import type { Caller, Grant, PlaybackRequest } from './model';

/**
 * A grant's stream pattern: an exact, case-sensitive name, or a prefix followed by a single trailing `*`.
 * A `*` anywhere else is an ordinary character, so it can never match a valid stream name.
 */
export function matchesStreamPattern(pattern: string, streamName: string): boolean {
  if (pattern.endsWith('*')) return streamName.startsWith(pattern.slice(0, -1));
  return pattern === streamName;
}

interface PlaybackScope {
  readonly streamName: string;
  readonly protocol: Protocol;
  readonly playbackMode: PlaybackMode;
  /** Epoch ms; required to be inside the archive window for LIVE_REPLAY and ON_DEMAND. */
  readonly start?: number;
  /** Default SERVER. */
  readonly timestampSource?: TimestampSource;
}

/**
 * Whether this one grant covers playback (PLAY), stream, protocol, mode and time window at `now` (epoch
 * ms). Whether it still has time enough for a session is `sessionLifetimeSeconds`.
 */
function grantAllows(grant: Grant, scope: PlaybackScope, now: number): boolean {
  if (!grantHasCapability(grant, 'PLAY')) return false;
  if (grant.notAfter !== undefined && !(grant.notAfter > now)) return false;
  if (!grant.streams.some((pattern) => matchesStreamPattern(pattern, scope.streamName))) return false;
  if (!grant.protocols.includes(scope.protocol)) return false;
  if (!grant.playbackModes.includes(scope.playbackMode)) return false;
  if (scope.playbackMode !== 'LIVE' && grant.archiveWindowSeconds !== undefined) {
    // Validation guarantees a start for archived modes; without one, deny rather than guess.
    if (scope.start === undefined) return false;
    if (scope.start < now - grant.archiveWindowSeconds * 1000) return false;
    // The window is measured in server time; producer timestamps are whatever the producer's clock
    // said, so one running ahead would pass older footage through the window. Only by explicit consent.
    if (scope.timestampSource === 'PRODUCER' && grant.producerTimestamps !== true) return false;
  }
  return true;
}

/**
 * The longest session (seconds) this grant gives a request for `requestedSeconds` whose KVS session may
 * start as late as `sessionStartsBy` (epoch ms): KVS starts a session's clock when it answers, so the
 * session must fit between then and the grant's `notAfter`. Below MIN_EXPIRES_SECONDS the grant cannot
 * give a session at all (KVS sessions last at least that long).
 */
export function sessionLifetimeSeconds(
  grant: Grant,
  requestedSeconds: number,
  sessionStartsBy: number,
): number {
  const granted = Math.min(requestedSeconds, grant.maxExpiresInSeconds);
  if (grant.notAfter === undefined) return granted;
  return Math.min(granted, Math.floor((grant.notAfter - sessionStartsBy) / 1000));
}

export interface AuthorizationDecision {
  /** The longest session any allowing grant gives: the request clamped to its maximum and notAfter. */
  readonly expiresInSeconds: number;
  /** The allowing grant that gives that session. */
  readonly grant: Grant;
  /** Principal of that grant (for the audit line). */
  readonly grantPrincipal: string;
  /** Every grant that allows the request. */
  readonly allowingGrants: readonly Grant[];
}

/**
 * Deny by default: allowed only when a grant held by one of the caller's own principals covers stream,
 * protocol, mode and time window, and still has time for a session of at least MIN_EXPIRES_SECONDS
 * starting as late as `now + sessionStartSlackMs`. Of several allowing grants the one giving the longest
 * session wins. A refusal is always the same ForbiddenError, whatever the reason, so nobody learns
 * whether a stream exists or which part of the request was not granted.
 */
export function authorizePlayback(input: {
  readonly caller: Caller;
  readonly grants: readonly Grant[];
  readonly streamName: string;
  readonly request: PlaybackRequest;
  readonly now: number;
  /** How long after `now` KVS may still start the session (the KVS retry budget). Default 0. */
  readonly sessionStartSlackMs?: number;
}): AuthorizationDecision {
  const { caller, request, now } = input;
  const sessionStartsBy = now + (input.sessionStartSlackMs ?? 0);
  const principals = new Set(caller.principals);
  const scope: PlaybackScope = {
    streamName: input.streamName,
    protocol: request.protocol,
    playbackMode: request.playbackMode,
    timestampSource: request.timestampSource,
    ...(request.start !== undefined ? { start: request.start } : {}),
  };
  // A store returning someone else's grant must not widen access.
  const allowing = input.grants
    .filter((grant) => principals.has(grant.principal) && grantAllows(grant, scope, now))
    .map((grant) => ({
      grant,
      seconds: sessionLifetimeSeconds(grant, request.expiresInSeconds, sessionStartsBy),
    }))
    .filter(({ seconds }) => seconds >= MIN_EXPIRES_SECONDS);
  // Ties go to the larger maximum, which is what a caller asking for more would get.
  const best = allowing.reduce<(typeof allowing)[number] | undefined>(
    (top, candidate) =>
      top === undefined ||
      candidate.seconds > top.seconds ||
      (candidate.seconds === top.seconds &&
        candidate.grant.maxExpiresInSeconds > top.grant.maxExpiresInSeconds)
        ? candidate
        : top,
    undefined,
  );
  if (best === undefined) throw new ForbiddenError();
  return {
    expiresInSeconds: best.seconds,
    grant: best.grant,
    grantPrincipal: best.grant.principal,
    allowingGrants: allowing.map(({ grant }) => grant),
  };
}
