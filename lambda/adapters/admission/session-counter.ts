import { admissionKeys, openSession, releaseSession, type SessionCounter } from '../../core/admission';
import type { AdmissionTable, ItemState } from './admission-table';

export interface DynamoDbSessionCounterOptions {
  table: AdmissionTable;
  /** Every conditional write lost the race for the principal's item (the session was refused). */
  onContention?: (principal: string) => void;
}

/**
 * Live sessions per principal: one item (`sessions#<principal>`) holding the expiries of the sessions
 * still running, pruned of ended ones on every write and written conditionally on its version, so two
 * instances opening the last free slot at once cannot both succeed. The item expires (TTL) with its
 * last session.
 */
export function createDynamoDbSessionCounter(options: DynamoDbSessionCounterOptions): SessionCounter {
  const { table } = options;
  const key = admissionKeys.sessions;
  return {
    async tryOpen(principal: string, expiresAt: number, max: number): Promise<boolean> {
      const outcome = await table.update<boolean>(key(principal), (state, now) => {
        const result = openSession(toExpiries(state), expiresAt, max, now);
        if (!result.opened) return { result: false };
        return {
          result: true,
          write: { state: { expiries: [...result.next] }, expiresAt: lastOf(result.next, now) },
        };
      });
      if (outcome.settled) return outcome.result;
      options.onContention?.(principal);
      return false;
    },

    async release(principal: string, expiresAt: number): Promise<void> {
      await table.update<void>(key(principal), (state, now) => {
        const before = toExpiries(state);
        const next = releaseSession(before, expiresAt, now);
        // Nothing to give back (already expired, or never opened): leave the item alone.
        if (next.length === before.filter((expiry) => expiry > now).length) return { result: undefined };
        return { result: undefined, write: { state: { expiries: [...next] }, expiresAt: lastOf(next, now) } };
      });
    },
  };
}

function toExpiries(state: ItemState | undefined): number[] {
  const expiries = state?.expiries;
  if (!Array.isArray(expiries)) return [];
  return expiries.filter((expiry): expiry is number => typeof expiry === 'number');
}

function lastOf(expiries: readonly number[], now: number): number {
  return expiries.length > 0 ? Math.max(...expiries) : now;
}
