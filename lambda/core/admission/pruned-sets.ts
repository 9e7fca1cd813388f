/**
 * Activity: a small set of the admission table, pruned on every write. Pure functions of a stored set and
 * the time.
 */

/**
 * The most callers tracked per stream: the activity item stays small, and the count saturates at this
 * bound, which only makes each stream share smaller.
 */
export const MAX_TRACKED_CALLERS = 200;

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
