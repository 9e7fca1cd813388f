import { MAX_TRACKED_CALLERS, recordActivity, type ActivityTracker } from '../../core/admission';
import { boundedKey, type AdmissionTable, type ItemState } from './admission-table';

export interface DynamoDbActivityTrackerOptions {
  table: AdmissionTable;
}

/**
 * Who asked for a key recently: one item per key holding member → last seen, pruned on every write.
 * A member seen less than a quarter of the window ago is not written again, which keeps the write
 * rate of a busy stream's item near (members × 4 / window) instead of one write per request.
 */
export function createDynamoDbActivityTracker(options: DynamoDbActivityTrackerOptions): ActivityTracker {
  return {
    async touch(key: string, member: string, windowMs: number): Promise<number> {
      const name = boundedKey(member, 256);
      const outcome = await options.table.update<number>(key, (state, now) => {
        const seen = toSeen(state);
        const last = seen[name];
        if (last !== undefined && now - last < windowMs / 4 && last <= now) {
          const count = Object.values(seen).filter((at) => now - at < windowMs).length;
          return { result: Math.max(1, count) };
        }
        const recorded = recordActivity(seen, name, now, windowMs, MAX_TRACKED_CALLERS);
        return {
          result: recorded.count,
          write: { state: { seen: recorded.next }, expiresAt: now + windowMs },
        };
      });
      // Losing every race still leaves a count read a moment ago: good enough to size a share.
      return outcome.settled ? outcome.result : outcome.last;
    },
  };
}

function toSeen(state: ItemState | undefined): Record<string, number> {
  const seen = state?.seen;
  if (!seen || typeof seen !== 'object') return {};
  return Object.fromEntries(
    Object.entries(seen as Record<string, unknown>).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number',
    ),
  );
}
