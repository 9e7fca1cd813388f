import {
  CAPABILITIES,
  MAX_EXPIRES_SECONDS,
  MIN_EXPIRES_SECONDS,
  PLAYBACK_MODES,
  PROTOCOLS,
  STREAM_NAME_PATTERN,
} from '../contract';
import { failureOf } from './errors';
import { matchesStreamPattern, sessionLifetimeSeconds } from './authorize-playback';
import { capabilitiesOf, grantHasCapability } from './capabilities';
import type { Caller, Grant, PlayableStream } from './model';
import { accessOf, type Clock, type GrantStore, type KvsPort } from './ports';
import { applyRevocations } from './revocations';

export interface ListDeps {
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  readonly clock: Clock;
  /** As for vending: the KVS retry budget, by which a session must end before a grant's notAfter. */
  readonly sessionStartSlackMs?: number;
}

/**
 * The streams the caller may play and what its grants allow on each (`GET /v1/streams`). Exact names
 * come straight from the grants (listing never calls KVS for them, so it reveals nothing a grant does
 * not already say); prefix grants are expanded with the active streams KVS lists under the prefix.
 * Several grants on one stream are merged: union of capabilities, of modes and protocols (of the grants
 * that allow PLAY), the longest expiry, and the most generous archive window and end date (absent means
 * unlimited). A grant advertises only the session
 * it can still give: its maximum, shortened to end before its notAfter, and nothing at all once that is
 * below the shortest KVS session. A revoked caller is refused, and a revoked group's grants do not count.
 */
export async function listPlayableStreams(
  deps: ListDeps,
  caller: Caller,
  /** As for vending (`VendInput.timeLeftMs`): bounds the ListStreams calls. */
  timeLeftMs?: () => number,
): Promise<PlayableStream[]> {
  const access = await accessOf(deps.grants, caller.principals).catch(failureOf('grants'));
  const now = deps.clock.now();
  // A revoked caller is refused (403, as a vend is); a revoked group's grants are not listed.
  const principals = new Set(applyRevocations(caller, access.revocations, now).principals);
  const stored = access.grants;
  const sessionStartsBy = now + (deps.sessionStartSlackMs ?? 0);
  const live = stored
    .filter((grant) => principals.has(grant.principal))
    .map((grant) => ({
      ...grant,
      maxExpiresInSeconds: sessionLifetimeSeconds(grant, MAX_EXPIRES_SECONDS, sessionStartsBy),
    }))
    .filter((grant) => grant.maxExpiresInSeconds >= MIN_EXPIRES_SECONDS);

  const prefixes = new Set<string>();
  for (const grant of live) {
    for (const pattern of grant.streams) if (pattern.endsWith('*')) prefixes.add(pattern.slice(0, -1));
  }
  const listed = await Promise.all(
    [...prefixes].map(async (prefix) => {
      const budgetMs = timeLeftMs?.();
      const names = await deps.kvs
        .listStreamNames(prefix, budgetMs !== undefined ? { budgetMs } : undefined)
        .catch(failureOf('kvs'));
      return [prefix, names] as const;
    }),
  );
  const namesByPrefix = new Map(listed);

  const merged = new Map<string, Grant[]>();
  const add = (name: string, grant: Grant): void => {
    const list = merged.get(name) ?? [];
    if (!list.includes(grant)) list.push(grant);
    merged.set(name, list);
  };
  for (const grant of live) {
    for (const pattern of grant.streams) {
      if (!pattern.endsWith('*')) {
        if (STREAM_NAME_PATTERN.test(pattern)) add(pattern, grant);
        continue;
      }
      for (const name of namesByPrefix.get(pattern.slice(0, -1)) ?? []) {
        // Trust the grant, not the listing: only names the pattern really covers.
        if (STREAM_NAME_PATTERN.test(name) && matchesStreamPattern(pattern, name)) add(name, grant);
      }
    }
  }

  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stream, grants]) => mergeGrants(stream, grants));
}

function mergeGrants(stream: string, grants: readonly Grant[]): PlayableStream {
  const capabilities = new Set(grants.flatMap((grant) => capabilitiesOf(grant)));
  const players = grants.filter((grant) => grantHasCapability(grant, 'PLAY'));
  const modes = new Set(players.flatMap((grant) => grant.playbackModes));
  const protocols = new Set(players.flatMap((grant) => grant.protocols));
  const windows = grants.map((grant) => grant.archiveWindowSeconds);
  const ends = grants.map((grant) => grant.notAfter);
  const archiveWindowSeconds = windows.includes(undefined) ? undefined : Math.max(...(windows as number[]));
  const notAfter = ends.includes(undefined) ? undefined : Math.max(...(ends as number[]));
  return {
    stream,
    capabilities: CAPABILITIES.filter((capability) => capabilities.has(capability)),
    playbackModes: PLAYBACK_MODES.filter((mode) => modes.has(mode)),
    protocols: PROTOCOLS.filter((protocol) => protocols.has(protocol)),
    maxExpiresInSeconds: Math.max(...grants.map((grant) => grant.maxExpiresInSeconds)),
    ...(archiveWindowSeconds !== undefined ? { archiveWindowSeconds } : {}),
    ...(notAfter !== undefined ? { notAfter } : {}),
  };
}
