import { createHash } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LRUCache } from 'lru-cache';
import { AdmissionUnavailableError } from '../../core/admission';
import type { Clock } from '../../core/ports';

/**
 * The admission table: the DynamoDB table behind admission (caller limits, stream shares).
 *
 * Schema (a table of its own):
 * - partition key `pk` (S): `caller#<principal>`, `stream#<name>`, `stream#<name>#<principal>`,
 *   `active#<name>`;
 * - `v` (N): version, incremented by every write; each write is conditional on the version read, so
 *   concurrent instances never overwrite each other's update (optimistic concurrency);
 * - `ttl` (N, epoch seconds): the table's TTL attribute; set to when the item no longer matters (a
 *   full bucket, the end of the activity window), so idle items expire by themselves;
 * - the state of the item: `tokens`/`refilledAt` (N) or `seen` (M of N).
 */
export interface AdmissionTableOptions {
  tableName: string;
  region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Deadline of one operation, reads, retries and writes included. Default 500 ms. */
  timeoutMs?: number;
  /** Conditional writes tried per operation before giving up on a contended key. Default 5. */
  maxAttempts?: number;
  clock?: Clock;
  /** An existing client to share (tests, or a module-level client of the caller). */
  client?: DynamoDBClient;
}

export type ItemState = Record<string, unknown>;

export interface Step<R> {
  readonly result: R;
  /** State to store and when it stops mattering (epoch ms). Absent: nothing to write. */
  readonly write?: { readonly state: ItemState; readonly expiresAt: number };
}

export type UpdateOutcome<R> =
  | { readonly settled: true; readonly result: R }
  /** Every attempt lost the race for the key; `last` is the step computed from the latest read. */
  | { readonly settled: false; readonly last: R };

export interface AdmissionTable {
  readonly clock: Clock;
  /**
   * Reads the item of `key`, lets `decide` compute the outcome from its state and the current time,
   * and writes the new state conditionally on the version read, again from a fresh read when another
   * instance wrote in between. A decision that writes nothing is only trusted from a fresh read.
   */
  update<R>(
    key: string,
    decide: (state: ItemState | undefined, now: number) => Step<R>,
  ): Promise<UpdateOutcome<R>>;
}

const DEFAULT_TIMEOUT_MS = 500;
const DEFAULT_MAX_ATTEMPTS = 5;
/** Items whose last written state is remembered to save a read. */
const MEMO_MAX_ENTRIES = 10_000;
const PARTITION_KEY = 'pk';
const VERSION = 'v';
const TTL = 'ttl';
// DynamoDB allows 2048 bytes of partition key; principals come from tokens and may be long.
const MAX_KEY_BYTES = 1024;
const RESERVED = new Set([VERSION, TTL]);

interface Versioned {
  version: number;
  state: ItemState;
}

/** Keys (and member names) longer than DynamoDB comfortably holds are replaced by a digest. */
export function boundedKey(key: string, maxBytes = MAX_KEY_BYTES): string {
  if (Buffer.byteLength(key, 'utf8') <= maxBytes) return key;
  return `sha256#${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Any failure of the store (the SDK's own, a timeout, a network error) is the one typed error. */
async function guarded<T>(operation: Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await operation;
  } catch {
    throw new AdmissionUnavailableError(
      signal.aborted ? 'The admission table did not answer in time.' : 'The admission table is unavailable.',
    );
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

export function createAdmissionTable(options: AdmissionTableOptions): AdmissionTable {
  const clock = options.clock ?? { now: () => Date.now() };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Retries happen here, inside the operation's deadline, not in the SDK.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  const memo = new LRUCache<string, Versioned>({ max: MEMO_MAX_ENTRIES });

  const itemKey = (key: string): Record<string, AttributeValue> => ({
    [PARTITION_KEY]: { S: key },
  });

  const read = async (key: string, signal: AbortSignal): Promise<Versioned | undefined> => {
    const output = await client.send(
      new GetItemCommand({ TableName: options.tableName, Key: itemKey(key), ConsistentRead: true }),
      { abortSignal: signal },
    );
    if (!output.Item) return undefined;
    const item = unmarshall(output.Item);
    const version = typeof item[VERSION] === 'number' ? item[VERSION] : 0;
    const state: ItemState = {};
    for (const [name, value] of Object.entries(item)) {
      if (!RESERVED.has(name) && name !== PARTITION_KEY) state[name] = value;
    }
    return { version, state };
  };

  /** Resolves false when another instance wrote first. */
  const write = async (
    key: string,
    expected: Versioned | undefined,
    state: ItemState,
    expiresAt: number,
    signal: AbortSignal,
  ): Promise<boolean> => {
    const names: Record<string, string> = { '#v': VERSION, '#ttl': TTL };
    const values: Record<string, unknown> = {
      ':next': (expected?.version ?? 0) + 1,
      ':ttl': Math.ceil(expiresAt / 1000) + 1,
    };
    const sets = ['#v = :next', '#ttl = :ttl'];
    Object.entries(state).forEach(([name, value], index) => {
      names[`#a${index}`] = name;
      values[`:a${index}`] = value;
      sets.push(`#a${index} = :a${index}`);
    });
    // DynamoDB refuses expression names an expression does not use.
    let condition = '#v = :expected';
    if (expected) {
      values[':expected'] = expected.version;
    } else {
      condition = 'attribute_not_exists(#pk)';
      names['#pk'] = PARTITION_KEY;
    }
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: options.tableName,
          Key: itemKey(key),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  return {
    clock,
    async update<R>(
      rawKey: string,
      decide: (state: ItemState | undefined, now: number) => Step<R>,
    ): Promise<UpdateOutcome<R>> {
      const key = boundedKey(rawKey);
      const signal = AbortSignal.timeout(timeoutMs);
      const remembered = memo.get(key);
      let known: { item: Versioned | undefined; fresh: boolean } = remembered
        ? { item: remembered, fresh: false }
        : { item: await guarded(read(key, signal), signal), fresh: true };
      let attempts = 0;
      for (;;) {
        const step = decide(known.item?.state, clock.now());
        if (!step.write) {
          // Remembered state may be stale: a decision that writes nothing is confirmed on the stored one.
          if (known.fresh) return { settled: true, result: step.result };
        } else {
          const { state, expiresAt } = step.write;
          if (await guarded(write(key, known.item, state, expiresAt, signal), signal)) {
            memo.set(key, { version: (known.item?.version ?? 0) + 1, state });
            return { settled: true, result: step.result };
          }
          memo.delete(key);
          attempts += 1;
          if (attempts >= maxAttempts) return { settled: false, last: step.result };
        }
        known = { item: await guarded(read(key, signal), signal), fresh: true };
      }
    },
  };
}
