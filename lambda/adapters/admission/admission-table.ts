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
 * - `ttl` (N, epoch seconds): the table's TTL attribute; set to when the item no longer matters, so idle
 *   items expire by themselves;
 * - rate limits (`rate-limiter.ts`): `tat` and `qtat` (N, epoch ms), changed by single conditional
 *   writes with no read;
 * - stream activity (`activity-tracker.ts`): one attribute `m:<principal>` (N, epoch ms) per caller.
 * The session cap counts the session log's records (the sessions table), not items of this table.
 */
export interface AdmissionTableOptions {
  tableName: string;
  region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Deadline of one `update`, reads, retries and writes included. Default ADMISSION_TIMEOUT_MS's, 2000 ms. */
  timeoutMs?: number;
  /** Conditional writes tried per `update` before giving up on a contended key. Default 8. */
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

/** A conditional write found the item in another state; `item` is that state when the store said. */
export class ConditionFailedError extends Error {
  constructor(readonly item: ItemState | undefined) {
    super('The condition of the write did not hold.');
    this.name = 'ConditionFailedError';
  }
}

/** One UpdateItem, as its expressions; `#`-names and `:`-values are its placeholders. */
export interface ItemWrite {
  readonly update: string;
  readonly condition?: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

export interface AdmissionTable {
  readonly clock: Clock;
  /**
   * Reads the item of `key`, attributes other than the key; undefined when there is none. Consistent
   * unless `consistent` is false. Throws AdmissionUnavailableError when the store fails or `deadline`
   * (epoch ms) passes.
   */
  read(key: string, deadline: number, consistent?: boolean): Promise<ItemState | undefined>;
  /**
   * Writes the item of `key` in one UpdateItem and resolves to its attributes after the write. A failed
   * condition throws ConditionFailedError with the item as it was when DynamoDB returns it
   * (ReturnValuesOnConditionCheckFailure; dynalite does not, and the caller then reads). Throttling and
   * server errors are retried with jittered backoff until `deadline`; then, or on any other failure,
   * AdmissionUnavailableError.
   */
  write(key: string, write: ItemWrite, deadline: number): Promise<ItemState>;
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

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_ATTEMPTS = 8;
/** Backoff between retries of one request (throttling, server errors) and between lost races of `update`. */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 200;
/** The longest timer Node.js sets. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);
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

/**
 * Worth another attempt: DynamoDB's throttling and server errors, and requests that never got an answer. The
 * deadline's own abort is told apart before this is asked (the attempt's signal). `TimeoutError` is the SDK's
 * name for a connection reset, a broken pipe and a socket timeout alike (ECONNRESET, EPIPE, ETIMEDOUT): the
 * first is what a server that closes an idle keep-alive connection just as it is reused gives, and it was
 * failing admissions closed (503) with seconds of the deadline left.
 */
export function isRetryableTableError(error: unknown): boolean {
  const e = (error ?? {}) as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'AbortError') return false;
  if (e.name !== undefined && RETRYABLE.has(e.name)) return true;
  if (e.name === 'TimeoutError') return true;
  return e.$fault === 'server' || e.$metadata?.httpStatusCode === undefined;
}

const backoffMs = (attempt: number): number =>
  Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function withoutKey(item: Record<string, AttributeValue>): ItemState {
  const state = unmarshall(item);
  delete state[PARTITION_KEY];
  return state;
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

  /**
   * Runs one request until it succeeds, fails for good, or `deadline` leaves no room for another attempt;
   * each attempt is cut off at the deadline.
   */
  const attempt = async <T>(run: (signal: AbortSignal) => Promise<T>, deadline: number): Promise<T> => {
    for (let tries = 0; ; tries += 1) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) throw new AdmissionUnavailableError('The admission table did not answer in time.');
      const signal = AbortSignal.timeout(Math.ceil(Math.min(remaining, MAX_TIMER_MS)));
      try {
        return await run(signal);
      } catch (error) {
        if (isConditionFailure(error) || error instanceof ConditionFailedError) throw error;
        if (signal.aborted)
          throw new AdmissionUnavailableError('The admission table did not answer in time.');
        const delay = backoffMs(tries);
        if (!isRetryableTableError(error) || clock.now() + delay >= deadline) {
          throw new AdmissionUnavailableError('The admission table is unavailable.');
        }
        await sleep(delay);
      }
    }
  };

  const readItem = (key: string, deadline: number, consistent: boolean): Promise<ItemState | undefined> =>
    attempt(async (signal) => {
      const output = await client.send(
        new GetItemCommand({ TableName: options.tableName, Key: itemKey(key), ConsistentRead: consistent }),
        { abortSignal: signal },
      );
      return output.Item ? withoutKey(output.Item) : undefined;
    }, deadline);

  const writeItem = (key: string, write: ItemWrite, deadline: number): Promise<ItemState> =>
    attempt(async (signal) => {
      try {
        const output = await client.send(
          new UpdateItemCommand({
            TableName: options.tableName,
            Key: itemKey(key),
            UpdateExpression: write.update,
            ...(write.condition !== undefined ? { ConditionExpression: write.condition } : {}),
            ExpressionAttributeNames: { ...write.names },
            ...(write.values !== undefined && Object.keys(write.values).length > 0
              ? { ExpressionAttributeValues: marshall({ ...write.values }, { removeUndefinedValues: true }) }
              : {}),
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        );
        return output.Attributes ? withoutKey(output.Attributes) : {};
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        throw new ConditionFailedError(old ? withoutKey(old) : undefined);
      }
    }, deadline);

  return {
    clock,
    read: (key, deadline, consistent = true) => readItem(boundedKey(key), deadline, consistent),
    write: (key, write, deadline) => writeItem(boundedKey(key), write, deadline),
    async update<R>(
      rawKey: string,
      decide: (state: ItemState | undefined, now: number) => Step<R>,
    ): Promise<UpdateOutcome<R>> {
      const key = boundedKey(rawKey);
      const deadline = clock.now() + timeoutMs;
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
          // Instances that lost together would meet again at once: spread their next tries.
          const delay = backoffMs(attempts);
          if (clock.now() + delay < deadline) await sleep(delay);
        }
        known = { item: await guarded(read(key, signal), signal), fresh: true };
      }
    },
  };
}
