import { LRUCache } from 'lru-cache';
import { MAX_TRACKED_CALLERS, type ActivityTracker } from '../../core/admission';
import { boundedKey, ConditionFailedError, type AdmissionTable, type ItemState } from './admission-table';

export interface DynamoDbActivityTrackerOptions {
  table: AdmissionTable;
}

/** Attribute of one member in the activity item: `m:<member>` = when it was last seen (epoch ms). */
const MEMBER_PREFIX = 'm:';
/** Stale members removed at most per prune, so one write stays small. */
const PRUNE_BATCH = 50;
const MEMO_MAX_ENTRIES = 10_000;

interface Seen {
  /** When this instance last wrote the member's time, epoch ms. */
  readonly writtenAt: number;
  /** The count the item gave then. */
  readonly count: number;
}

/**
 * Who asked for a key recently: one item per key with an attribute per member holding when it was last
 * seen. Recording a member is one UpdateItem with no condition and no read (it sets the member's own
 * attribute, so concurrent members never conflict), and the item that comes back gives the count. A
 * member this instance recorded less than a quarter of the window ago is not written again: the count it
 * learned then is answered, which keeps a busy stream's item near (members × 4 / window) writes per
 * instance instead of one per request. Members idle for the window are removed by whoever sees them,
 * each removal conditional on the time it saw, so a member that came back meanwhile stays.
 *
 * The count saturates at MAX_TRACKED_CALLERS: a member not yet in the item is no longer added once this
 * instance saw that many, which keeps the item small and only makes each share smaller.
 */
export function createDynamoDbActivityTracker(options: DynamoDbActivityTrackerOptions): ActivityTracker {
  const { table } = options;
  const memo = new LRUCache<string, Seen>({ max: MEMO_MAX_ENTRIES });
  const saturated = new LRUCache<string, number>({ max: MEMO_MAX_ENTRIES });

  const prune = async (key: string, stale: readonly [string, number][], deadline: number): Promise<void> => {
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    stale.slice(0, PRUNE_BATCH).forEach(([name, at], index) => {
      names[`#s${index}`] = name;
      values[`:s${index}`] = at;
    });
    const placeholders = Object.keys(names);
    try {
      await table.write(
        key,
        {
          update: `REMOVE ${placeholders.join(', ')}`,
          condition: placeholders.map((name, index) => `${name} = :s${index}`).join(' AND '),
          names,
          values,
        },
        deadline,
      );
    } catch (error) {
      // One of them came back meanwhile: the next member to see them tries again.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  };

  return {
    async touch(key: string, member: string, windowMs: number, deadline: number): Promise<number> {
      const attribute = `${MEMBER_PREFIX}${boundedKey(member, 256)}`;
      const memoKey = `${key}\u0000${attribute}`;
      const now = table.clock.now();
      const seen = memo.get(memoKey);
      if (seen && now - seen.writtenAt < windowMs / 4 && seen.writtenAt <= now) return seen.count;
      const full = saturated.get(key);
      if (!seen && full !== undefined && now - full < windowMs / 4) return MAX_TRACKED_CALLERS;

      const item = await table.write(
        key,
        {
          update: 'SET #member = :now, #ttl = :ttl',
          names: { '#member': attribute, '#ttl': 'ttl' },
          values: { ':now': now, ':ttl': Math.ceil((now + windowMs) / 1000) + 1 },
        },
        deadline,
      );
      const { live, stale } = membersOf(item, now, windowMs);
      const count = Math.min(MAX_TRACKED_CALLERS, Math.max(1, live));
      memo.set(memoKey, { writtenAt: now, count });
      if (live >= MAX_TRACKED_CALLERS) saturated.set(key, now);
      if (stale.length > 0) await prune(key, stale, deadline);
      return count;
    },
  };
}

function membersOf(
  item: ItemState,
  now: number,
  windowMs: number,
): { live: number; stale: [string, number][] } {
  let live = 0;
  const stale: [string, number][] = [];
  for (const [name, at] of Object.entries(item)) {
    if (!name.startsWith(MEMBER_PREFIX) || typeof at !== 'number') continue;
    if (now - at < windowMs) live += 1;
    else stale.push([name, at]);
  }
  return { live, stale };
}
