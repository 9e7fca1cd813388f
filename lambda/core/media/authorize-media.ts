import { MIN_CLIP_URL_SECONDS, type Capability, type TimestampSource } from '../../contract';
import { matchesStreamPattern } from '../authorize-playback';
import { grantHasCapability } from '../capabilities';
import { ForbiddenError } from '../errors';
import type { Caller, Grant } from '../model';

/** What a clip or images request asks of a grant. */
export interface MediaScope {
  readonly streamName: string;
  readonly capability: Extract<Capability, 'CLIP' | 'IMAGES'>;
  /** Epoch ms: the archive window is checked against it, as for ON_DEMAND. */
  readonly start: number;
  readonly timestampSource: TimestampSource;
}

/**
 * The longest URL (seconds) this grant gives, asked for `requestedSeconds`, when the URL is made as late as
 * `urlMadeBy` (epoch ms): at most the grant's maximum, and ending before its notAfter.
 */
export function mediaUrlSeconds(grant: Grant, requestedSeconds: number, urlMadeBy: number): number {
  const granted = Math.min(requestedSeconds, grant.maxExpiresInSeconds);
  if (grant.notAfter === undefined) return granted;
  return Math.min(granted, Math.floor((grant.notAfter - urlMadeBy) / 1000));
}

/** Whether this grant covers the capability, the stream and the time window at `now`, as for ON_DEMAND. */
function grantAllowsMedia(grant: Grant, scope: MediaScope, now: number): boolean {
  if (!grantHasCapability(grant, scope.capability)) return false;
  if (grant.notAfter !== undefined && !(grant.notAfter > now)) return false;
  if (!grant.streams.some((pattern) => matchesStreamPattern(pattern, scope.streamName))) return false;
  if (grant.archiveWindowSeconds !== undefined) {
    if (scope.start < now - grant.archiveWindowSeconds * 1000) return false;
    // As for archived playback: the window is server time, producer timestamps are the producer's clock.
    if (scope.timestampSource === 'PRODUCER' && grant.producerTimestamps !== true) return false;
  }
  return true;
}

export interface MediaDecision {
  /** The allowing grant giving the longest URL. */
  readonly grant: Grant;
  readonly grantPrincipal: string;
  /** That URL's lifetime, settled for a URL made by `urlMadeBy`. */
  readonly urlSeconds: number;
}

/**
 * Deny by default, as for playback: allowed only when a grant of one of the caller's own principals has
 * the capability (CLIP or IMAGES) and covers the stream and the window (archive window and producer
 * timestamps as for ON_DEMAND), with time left for a URL of at least MIN_CLIP_URL_SECONDS made as late as
 * `urlMadeBy`. Every refusal is the same ForbiddenError, and nothing has been asked of KVS.
 */
export function authorizeMedia(input: {
  readonly caller: Caller;
  readonly grants: readonly Grant[];
  readonly scope: MediaScope;
  readonly now: number;
  /** The URL's lifetime asked for. */
  readonly requestedSeconds: number;
  /** When the URL is made at the latest (epoch ms): after the clip is made. */
  readonly urlMadeBy: number;
}): MediaDecision {
  const principals = new Set(input.caller.principals);
  let best: MediaDecision | undefined;
  for (const grant of input.grants) {
    if (!principals.has(grant.principal) || !grantAllowsMedia(grant, input.scope, input.now)) continue;
    const urlSeconds = mediaUrlSeconds(grant, input.requestedSeconds, input.urlMadeBy);
    if (urlSeconds < MIN_CLIP_URL_SECONDS) continue;
    if (!best || urlSeconds > best.urlSeconds) best = { grant, grantPrincipal: grant.principal, urlSeconds };
  }
  if (!best) throw new ForbiddenError('No grant allows this request.');
  return best;
}
