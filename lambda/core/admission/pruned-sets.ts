/**
 * Sessions and activity: small sets of the admission table, pruned on every write. Pure functions of a
 * stored set and the time.
 */

/**
 * The most callers tracked per stream: the activity item stays small, and the count saturates at this
 * bound, which only makes each stream share smaller.
 */
export const MAX_TRACKED_CALLERS = 200;

export interface SessionsOutcome {
  readonly opened: boolean;
  /** Live expiries (epoch ms), ascending, to store. */
  readonly next: readonly number[];
}

export function openSession(
  expiries: readonly number[],
  expiresAt: number,
  max: number,
  now: number,
): SessionsOutcome {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  const live = expiries.filter((expiry) => expiry > now).sort((a, b) => a - b);
  if (live.length >= max) return { opened: false, next: live };
  // A session that is already over holds no slot.
  const next = expiresAt > now ? [...live, expiresAt].sort((a, b) => a - b) : live;
  return { opened: true, next };
}

export function releaseSession(
  expiries: readonly number[],
  expiresAt: number,
  now: number,
): readonly number[] {
  const live = expiries.filter((expiry) => expiry > now).sort((a, b) => a - b);
  const index = live.indexOf(expiresAt);
  return index < 0 ? live : [...live.slice(0, index), ...live.slice(index + 1)];
}

export interface ActivityOutcome {
  readonly count: number;
  /** Member → last seen (epoch ms), to store. */
  readonly next: Readonly<Record<string, number>>;
}

/**
 * Marks `member` active now and forgets members idle for `windowMs` or longer. At most `maxMembers`
 * (most recent first) are kept so the stored item stays small; the count then saturates at that bound,
 * which only makes each share smaller.
 */
export function recordActivity(
  seen: Readonly<Record<string, number>>,
  member: string,
  now: number,
  windowMs: number,
  maxMembers: number,
): ActivityOutcome {
  const entries = Object.entries(seen).filter(([name, at]) => name !== member && now - at < windowMs);
  entries.sort((a, b) => b[1] - a[1]);
  const kept = entries.slice(0, Math.max(0, maxMembers - 1));
  const next = Object.fromEntries([[member, now], ...kept]) as Record<string, number>;
  return { count: kept.length + 1, next };
}
