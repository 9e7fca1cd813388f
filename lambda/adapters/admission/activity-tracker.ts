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

/**
 * Who asked for a key recently: one item per key with an attribute per member holding when it was last
 * seen. Recording a member is one UpdateItem with no condition and no read (it sets the member's own
 * attribute, so concurrent members never conflict), and the item that comes back gives the count. A
 * member this instance recorded less than a quarter of the window ago is not written again; the item is
 * read instead (eventually consistent), so the count is always current (a newcomer shrinks everyone's
 * share at once) while a busy stream's item takes about (members × 4 / window) writes per instance rather
 * than one per request. Members idle for the window are removed by whoever sees them, each removal
 * conditional on the time it saw, so a member that came back meanwhile stays.
 *
 * The count saturates at MAX_TRACKED_CALLERS: once an instance saw the item hold that many, it adds no
 * new member for a quarter of the window (it reads instead), which keeps the item small (a little over
 * the bound at most, by what instances add at the same moment) and only makes each share smaller.
 */
export function createDynamoDbActivityTracker(options: DynamoDbActivityTrackerOptions): ActivityTracker {
  const { table } = options;
  /** When this instance last wrote a member's time, by key and member. */
  const written = new LRUCache<string, number>({ max: MEMO_MAX_ENTRIES });
  /** When this instance last saw a key's item hold MAX_TRACKED_CALLERS members or more. */
  const crowded = new LRUCache<string, number>({ max: MEMO_MAX_ENTRIES });

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
      const writtenAt = written.get(memoKey);
      const recent = writtenAt !== undefined && writtenAt <= now && now - writtenAt < windowMs / 4;

      const crowdedAt = crowded.get(key);
      const full = crowdedAt !== undefined && crowdedAt <= now && now - crowdedAt < windowMs / 4;
      let item: ItemState;
      if (recent || full) {
        item = (await table.read(key, deadline, false)) ?? {};
      } else {
        item = await table.write(
          key,
          {
            update: 'SET #member = :now, #ttl = :ttl',
            names: { '#member': attribute, '#ttl': 'ttl' },
            values: { ':now': now, ':ttl': Math.ceil((now + windowMs) / 1000) + 1 },
          },
          deadline,
        );
        written.set(memoKey, now);
      }
      const { live, stale } = membersOf(item, now, windowMs);
      if (live >= MAX_TRACKED_CALLERS) crowded.set(key, now);
      if (stale.length > 0) await prune(key, stale, deadline);
      // A read may not show this member yet (eventual consistency, or not written because the item is full).
      return Math.min(MAX_TRACKED_CALLERS, Math.max(1, live + (attribute in item ? 0 : 1)));
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
