import { LRUCache } from 'lru-cache';
import {
  applyGcra,
  gcraStep,
  gcraTimes,
  placeIsDue,
  queueFull,
  refusalFor,
  type GcraState,
  type GcraStep,
  type GcraTimes,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
} from '../../core/admission';
import { ConditionFailedError, type AdmissionTable, type ItemState, type ItemWrite } from './admission-table';

export interface DynamoDbRateLimiterOptions {
  table: AdmissionTable;
  /** A conditional write found the key in another state than this instance assumed, and was redone. */
  onContention?: (key: string) => void;
}

/** Steps tried for one request before giving up on a key whose state keeps changing under it. */
const MAX_STEPS = 8;
/** Keys whose last known state is remembered, to choose the first write without a read. */
const MEMO_MAX_ENTRIES = 10_000;

const NAMES = { '#tat': 'tat', '#qtat': 'qtat', '#ttl': 'ttl' } as const;

/**
 * The conditional write of each step (lambda/core/admission/gcra.ts): its condition is the state the step
 * assumes, so it either does what the arithmetic says or fails and changes nothing. A place in the queue
 * assumes a full key (`tat` beyond `latestTat`), except for a request whose busy write has just failed
 * (`lostRoom`): that write found the room taken by requests that came with it, and its place then only
 * needs the key not to be idle. Otherwise, where room opens and closes again faster than a write comes
 * back (a hot key on a slow store), such a request would go back and forth between the take and the queue
 * until its deadline; a key gone idle still fails the write and is taken instead.
 */
export function gcraWrite(
  step: Exclude<GcraStep, 'queue-full'>,
  times: GcraTimes,
  lostRoom = false,
): ItemWrite {
  const ttl = { ':ttl': times.expiresAtSeconds };
  // Only a place in the queue depends on `lostRoom`: see above.
  const full = lostRoom
    ? { condition: '#tat > :now', values: { ':now': times.now } }
    : { condition: '#tat > :latestTat', values: { ':latestTat': times.latestTat } };
  switch (step) {
    case 'take-idle':
      return {
        update: 'SET #tat = :idleTat, #ttl = :ttl',
        condition: 'attribute_not_exists(#tat) OR #tat <= :now',
        names: { '#tat': NAMES['#tat'], '#ttl': NAMES['#ttl'] },
        values: { ':idleTat': times.idleTat, ':now': times.now, ...ttl },
      };
    case 'take-busy':
      return {
        update: 'SET #tat = #tat + :interval, #ttl = :ttl',
        condition: '#tat > :now AND #tat <= :latestTat',
        names: { '#tat': NAMES['#tat'], '#ttl': NAMES['#ttl'] },
        values: { ':interval': times.intervalMs, ':now': times.now, ':latestTat': times.latestTat, ...ttl },
      };
    case 'queue-first':
      return {
        update: 'SET #qtat = #tat + :spacing, #ttl = :ttl',
        condition: `${full.condition} AND (attribute_not_exists(#qtat) OR #qtat <= #tat)`,
        names: NAMES,
        values: { ':spacing': times.spacingMs, ...full.values, ...ttl },
      };
    case 'queue-next':
      return {
        update: 'SET #qtat = #qtat + :spacing, #ttl = :ttl',
        condition: `${full.condition} AND #qtat > #tat AND #qtat <= :latestQtat`,
        names: NAMES,
        values: {
          ':spacing': times.spacingMs,
          ...full.values,
          ':latestQtat': times.latestQtat,
          ...ttl,
        },
      };
  }
}

/**
 * The write to try after `failed` when the store does not say what the item holds (dynalite), from what its
 * condition rules out: a failed idle write means the key is taken (the busy write next); a failed busy
 * write, that others took the room first (a place in the queue next: the request lost to requests that
 * came with it, as one of more requests than the room has); a failed first place, that the queue has
 * begun (the next place). Beyond that the item is read. Every write is still conditional on the state it
 * assumes, so a wrong guess costs a write, never a wrong decision.
 */
export function afterFailed(failed: GcraStep, known: GcraState): GcraStep | undefined {
  switch (failed) {
    case 'take-idle':
      return 'take-busy';
    case 'take-busy':
      return known.qtat !== undefined && known.tat !== undefined && known.qtat > known.tat
        ? 'queue-next'
        : 'queue-first';
    case 'queue-first':
      return 'queue-next';
    default:
      return undefined;
  }
}

function toState(item: ItemState | undefined): GcraState {
  const tat = item?.tat;
  const qtat = item?.qtat;
  // Anything else under the key (an item of an older shape) counts as a limit never used.
  return {
    ...(typeof tat === 'number' ? { tat } : {}),
    ...(typeof qtat === 'number' ? { qtat } : {}),
  };
}

/**
 * Rate limits in DynamoDB (GCRA, lambda/core/admission/gcra.ts), one item per key, shared by every
 * instance of the function. A request is one conditional UpdateItem, with no read: its first write is
 * chosen from the state this instance last saw of the key (none: the key is assumed idle). When the
 * condition fails, the item as it is (from the failed write itself, or from a read where the store does
 * not return it, or what the failed condition rules out: `afterFailed`) chooses the next write: a lost race
 * costs a write, never a refusal. A refused request takes a place in the key's queue, whose time is its
 * `Retry-After`.
 */
export function createDynamoDbRateLimiter(options: DynamoDbRateLimiterOptions): RateLimiter {
  const { table } = options;
  const memo = new LRUCache<string, GcraState>({ max: MEMO_MAX_ENTRIES });

  return {
    expectsRefusal(key: string, limit: RateLimit): boolean {
      const state = memo.get(key);
      if (state === undefined) return false;
      return gcraStep(state, gcraTimes(limit, table.clock.now())).startsWith('queue');
    },

    async take(key: string, limit: RateLimit, deadline: number): Promise<RateDecision> {
      let state = memo.get(key) ?? {};
      /** The step a failed condition already chose, with no need to know the item. */
      let next: GcraStep | undefined;
      /** A busy write of this request failed: the room it saw was taken by requests that came with it. */
      let lostRoom = false;
      for (let steps = 0; steps < MAX_STEPS; steps += 1) {
        const now = table.clock.now();
        const times = gcraTimes(limit, now);
        const step = next ?? gcraStep(state, times);
        next = undefined;
        if (step === 'queue-full') {
          memo.set(key, state);
          return queueFull(limit);
        }
        try {
          state = toState(await table.write(key, gcraWrite(step, times, lostRoom), deadline));
          memo.set(key, state);
          if (step === 'take-idle' || step === 'take-busy') return { allowed: true, retryAfterSeconds: 0 };
          // A place whose room is already there (the key emptied while the write was under way) would refuse
          // a request that has room: "retry in 1 ms" for a lost race. It takes the room instead; the place it
          // wrote stays, one spacing of the queue that nobody holds.
          if (lostRoom && placeIsDue(state.qtat ?? now, limit, now)) {
            next = 'take-busy';
            continue;
          }
          return refusalFor(state.qtat ?? now, limit, now);
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
          options.onContention?.(key);
          if (step === 'take-busy') lostRoom = true;
          // DynamoDB returns the item with the failed condition; dynalite (the local stack) does not.
          if (error.item !== undefined) {
            state = toState(error.item);
          } else {
            // What the failed condition says is enough to choose the next write (see afterFailed):
            // a read would cost a round trip in which other instances move the key on again.
            next = afterFailed(step, state);
            if (next === undefined) state = toState(await table.read(key, deadline));
          }
        }
      }
      // The key changed under every step: refused rather than admitted unchecked, and told the wait the last
      // state seen gives (a place after the queue's end), not a second that would send it ahead of the queue.
      memo.delete(key);
      const last = applyGcra(state, limit, table.clock.now()).decision;
      return last.allowed ? { allowed: false, retryAfterSeconds: 1, retryAfterMs: 1000 } : last;
    },

    async giveBack(key: string, limit: RateLimit, deadline: number): Promise<void> {
      const times = gcraTimes(limit, table.clock.now());
      try {
        const item = await table.write(
          key,
          {
            update: 'SET #tat = #tat - :interval',
            condition: 'attribute_exists(#tat)',
            names: { '#tat': NAMES['#tat'] },
            values: { ':interval': times.intervalMs },
          },
          deadline,
        );
        memo.set(key, toState(item));
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },
  };
}
