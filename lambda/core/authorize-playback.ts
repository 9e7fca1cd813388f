import { ForbiddenError } from './errors';
import type { Caller, Grant, PlaybackMode, PlaybackRequest, Protocol } from './model';

/**
 * A grant's stream pattern: an exact, case-sensitive name, or a prefix followed by a single trailing `*`.
 * A `*` anywhere else is an ordinary character, so it can never match a valid stream name.
 */
export function matchesStreamPattern(pattern: string, streamName: string): boolean {
  if (pattern.endsWith('*')) return streamName.startsWith(pattern.slice(0, -1));
  return pattern === streamName;
}

export interface PlaybackScope {
  readonly streamName: string;
  readonly protocol: Protocol;
  readonly playbackMode: PlaybackMode;
  /** Epoch ms; required to be inside the archive window for LIVE_REPLAY and ON_DEMAND. */
  readonly start?: number;
}

/** Whether this one grant covers the request at `now` (epoch ms). */
export function grantAllows(grant: Grant, scope: PlaybackScope, now: number): boolean {
  if (grant.notAfter !== undefined && !(grant.notAfter > now)) return false;
  if (!grant.streams.some((pattern) => matchesStreamPattern(pattern, scope.streamName))) return false;
  if (!grant.protocols.includes(scope.protocol)) return false;
  if (!grant.playbackModes.includes(scope.playbackMode)) return false;
  if (scope.playbackMode !== 'LIVE' && grant.archiveWindowSeconds !== undefined) {
    // Validation guarantees a start for archived modes; without one, deny rather than guess.
    if (scope.start === undefined) return false;
    if (scope.start < now - grant.archiveWindowSeconds * 1000) return false;
  }
  return true;
}

export interface AuthorizationDecision {
  /** The requested lifetime, clamped down to the largest maximum among the allowing grants. */
  readonly expiresInSeconds: number;
  /** Principal of the allowing grant with the largest maximum (for the audit line). */
  readonly grantPrincipal: string;
  /** Every grant that allows the request. */
  readonly allowingGrants: readonly Grant[];
}

/**
 * Deny by default: allowed only when a grant held by one of the caller's own principals covers stream,
 * protocol, mode and time window. A refusal is always the same ForbiddenError, whatever the reason, so
 * nobody learns whether a stream exists or which part of the request was not granted.
 */
export function authorizePlayback(input: {
  readonly caller: Caller;
  readonly grants: readonly Grant[];
  readonly streamName: string;
  readonly request: PlaybackRequest;
  readonly now: number;
}): AuthorizationDecision {
  const { caller, request, now } = input;
  const principals = new Set(caller.principals);
  const scope: PlaybackScope = {
    streamName: input.streamName,
    protocol: request.protocol,
    playbackMode: request.playbackMode,
    ...(request.start !== undefined ? { start: request.start } : {}),
  };
  // A store returning someone else's grant must not widen access.
  const allowing = input.grants.filter(
    (grant) => principals.has(grant.principal) && grantAllows(grant, scope, now),
  );
  const best = allowing.reduce<Grant | undefined>(
    (top, grant) => (top === undefined || grant.maxExpiresInSeconds > top.maxExpiresInSeconds ? grant : top),
    undefined,
  );
  if (best === undefined) throw new ForbiddenError();
  return {
    expiresInSeconds: Math.min(request.expiresInSeconds, best.maxExpiresInSeconds),
    grantPrincipal: best.principal,
    allowingGrants: allowing,
  };
}
