import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../../core/ports';

/**
 * The data endpoint cache of the whole fleet: one DynamoDB item per (stream, API) that every instance of
 * the function reads when its own cache has nothing, so that a burst of cold instances asks KVS for a
 * stream's data endpoint once instead of once per instance (GetDataEndpoint allows 5 calls per second per
 * stream; the session-URL calls, 25).
 *
 * Item (table of its own, partition key `pk` = `endpoint#<stream>#<API name>`, TTL on `ttl`):
 * - `endpoint` (S), `fetchedAt`, `refreshAt`, `expiresAt` (N, epoch ms): the endpoint, trusted until
 *   `expiresAt` (the endpoint cache TTL after it was fetched) and due for a refresh from `refreshAt`;
 * - `leaseUntil` (N, epoch ms) and `leaseOwner` (S): the instance fetching it for the fleet.
 *
 * An instance that finds no usable endpoint takes the lease with a conditional write (no endpoint, or one
 * due for a refresh, and no lease or an expired one), calls GetDataEndpoint and publishes the result. The
 * others read the item again after short jittered waits until the endpoint is there; when the lease
 * expires (its holder died or is stuck), one of them takes it over; when the wait reaches its limit (half
 * the retry budget), or the table fails, an instance calls KVS itself: the shared cache saves calls, it
 * never stands between a vend and KVS.
 *
 * Refreshes do not make anyone wait: from `refreshAt` (four fifths of the lifetime) the first instance to
 * read the item takes the lease and fetches while the others keep using the endpoint until `expiresAt`.
 * Instances keep what they read in their own cache until a random moment between `refreshAt` and
 * `expiresAt`, so their reads are spread over that window rather than all falling at `expiresAt`.
 */
export interface SharedEndpointCacheOptions {
  readonly tableName: string;
  readonly region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** How long an endpoint is trusted once fetched (ENDPOINT_CACHE_TTL_SECONDS). */
  readonly ttlMs: number;
  /** Longest single request to the table; a slower table is given up on and KVS is called directly. */
  readonly requestTimeoutMs: number;
  readonly clock?: Clock;
  /** Waits between reads; injectable so tests need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** This instance's name in the lease. Default: a random id. */
  readonly owner?: string;
  /** An existing client (tests). */
  readonly client?: DynamoDBClient;
  /** Called for every lookup and invalidation that reached the table, with what happened. */
  readonly onEvent?: (event: SharedEndpointEvent) => void;
}

/**
 * - `hit`: the fleet's entry had the endpoint;
 * - `fetched`: this instance held the lease and fetched the endpoint for the fleet;
 * - `waited`: another instance fetched it while this one waited;
 * - `fallback`: this instance called KVS without the lease (the table failed, or the wait reached its limit);
 * - `invalidated`: this instance dropped a failing endpoint for the fleet.
 */
export type SharedEndpointEvent = 'hit' | 'fetched' | 'waited' | 'fallback' | 'invalidated';

/** An endpoint, and until when this instance may keep it in its own cache (epoch ms). */
export interface SharedEndpoint {
  readonly endpoint: string;
  readonly keepUntil: number;
}

export interface SharedEndpointCache {
  /**
   * The data endpoint for `key` (`<stream>#<API name>`): from the fleet's entry, fetched with `fetch`
   * under the fleet's lease, or fetched directly. `deadline` is the vend's KVS retry budget (epoch ms):
   * the wait stays within its first half. Errors of `fetch` pass through; errors of the table do not.
   */
  get(key: string, fetch: () => Promise<string>, deadline: number): Promise<SharedEndpoint>;
  /** Drops `endpoint` from the fleet's entry of `key` if it still holds it: once, however many instances saw it fail. */
  invalidate(key: string, endpoint: string): Promise<void>;
}

/** How long a lease holds: a GetDataEndpoint answers in tens of milliseconds. */
export const LEASE_MS = 1_000;
/** The part of an endpoint's lifetime after which it is refreshed (while still being used). */
export const REFRESH_AFTER = 0.8;
/** First wait before reading the item again, and the cap the waits grow to (each jittered by ±50 %). */
const FIRST_POLL_MS = 40;
const MAX_POLL_MS = 250;
/** Losing the race to refresh, an instance checks again this much later. */
const RECHECK_MS = 5_000;
/** Kept after `expiresAt` before DynamoDB's TTL removes the item: only tidies the table. */
const TTL_MARGIN_S = 3_600;

const NAMES = {
  '#pk': 'pk',
  '#endpoint': 'endpoint',
  '#fetchedAt': 'fetchedAt',
  '#refreshAt': 'refreshAt',
  '#expiresAt': 'expiresAt',
  '#leaseUntil': 'leaseUntil',
  '#leaseOwner': 'leaseOwner',
  '#ttl': 'ttl',
} as const;

interface Entry {
  readonly endpoint?: string;
  readonly refreshAt?: number;
  readonly expiresAt?: number;
  readonly leaseUntil?: number;
}

/** The table did not answer as a table should: the caller goes to KVS directly. */
class TableUnavailable extends Error {}

function toEntry(item: Record<string, AttributeValue> | undefined): Entry | undefined {
  if (!item) return undefined;
  const raw = unmarshall(item);
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const time = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const endpoint = text(raw.endpoint);
  const refreshAt = time(raw.refreshAt);
  const expiresAt = time(raw.expiresAt);
  const leaseUntil = time(raw.leaseUntil);
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(refreshAt !== undefined ? { refreshAt } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(leaseUntil !== undefined ? { leaseUntil } : {}),
  };
}

const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';

export function createSharedEndpointCache(options: SharedEndpointCacheOptions): SharedEndpointCache {
  const clock = options.clock ?? { now: () => Date.now() };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const owner = options.owner ?? randomUUID();
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: options.requestTimeoutMs,
        requestTimeout: options.requestTimeoutMs,
      },
    });
  const event = (what: SharedEndpointEvent): void => options.onEvent?.(what);
  const itemKey = (key: string): Record<string, AttributeValue> => ({ pk: { S: `endpoint#${key}` } });
  const signal = (): AbortSignal => AbortSignal.timeout(options.requestTimeoutMs);

  /**
   * One table call, sent once more when its connection failed under it at once, before any answer: a
   * keep-alive connection the table closed just as it was reused (ECONNRESET, which the SDK names
   * TimeoutError). Without this, such a reset sent the instance to KVS without the lease (a fallback). A call
   * that failed slowly, or answered with an error, is not sent again: the cache must not hold up a vend.
   */
  const send = async <T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await call(signal());
    } catch (error) {
      const unanswered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const quick = performance.now() - started < options.requestTimeoutMs / 2;
      if (unanswered !== undefined || !quick || (error as { name?: string }).name === 'AbortError')
        throw error;
      return call(signal());
    }
  };

  const read = async (key: string, consistent: boolean): Promise<Entry | undefined> => {
    try {
      const output = await send((abortSignal) =>
        client.send(
          new GetItemCommand({ TableName: options.tableName, Key: itemKey(key), ConsistentRead: consistent }),
          { abortSignal },
        ),
      );
      return toEntry(output.Item);
    } catch {
      throw new TableUnavailable();
    }
  };

  /** Writes; resolves false when the condition failed (with the item as it was, where the store says). */
  const write = async (
    key: string,
    input: {
      update: string;
      condition?: string;
      names: readonly (keyof typeof NAMES)[];
      values: Record<string, unknown>;
    },
  ): Promise<{ written: true } | { written: false; current: Entry | undefined; told: boolean }> => {
    try {
      await send((abortSignal) =>
        client.send(
          new UpdateItemCommand({
            TableName: options.tableName,
            Key: itemKey(key),
            UpdateExpression: input.update,
            ...(input.condition !== undefined ? { ConditionExpression: input.condition } : {}),
            ExpressionAttributeNames: Object.fromEntries(input.names.map((name) => [name, NAMES[name]])),
            ...(Object.keys(input.values).length > 0
              ? { ExpressionAttributeValues: marshall(input.values) }
              : {}),
            ...(input.condition !== undefined
              ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }
              : {}),
          }),
          { abortSignal },
        ),
      );
      return { written: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw new TableUnavailable();
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      // dynalite does not return the item with a failed condition (DynamoDB does).
      return { written: false, current: toEntry(old), told: old !== undefined };
    }
  };

  /** Takes the lease when nobody holds it and the entry has no endpoint, or one due for a refresh. */
  const lease = (key: string, now: number) =>
    write(key, {
      update: 'SET #leaseUntil = :until, #leaseOwner = :owner, #ttl = if_not_exists(#ttl, :ttl)',
      condition:
        'attribute_not_exists(#pk) OR ((attribute_not_exists(#refreshAt) OR #refreshAt <= :now) AND ' +
        '(attribute_not_exists(#leaseUntil) OR #leaseUntil <= :now))',
      names: ['#pk', '#refreshAt', '#leaseUntil', '#leaseOwner', '#ttl'],
      values: {
        ':until': now + LEASE_MS,
        ':owner': owner,
        ':now': now,
        ':ttl': Math.ceil((now + options.ttlMs) / 1000) + TTL_MARGIN_S,
      },
    });

  const publish = async (key: string, endpoint: string, fetchedAt: number): Promise<Required<Entry>> => {
    const entry = {
      endpoint,
      refreshAt: fetchedAt + Math.floor(options.ttlMs * REFRESH_AFTER),
      expiresAt: fetchedAt + options.ttlMs,
      leaseUntil: 0,
    };
    await write(key, {
      update:
        'SET #endpoint = :endpoint, #fetchedAt = :fetchedAt, #refreshAt = :refreshAt, #expiresAt = :expiresAt, ' +
        '#ttl = :ttl REMOVE #leaseUntil, #leaseOwner',
      names: ['#endpoint', '#fetchedAt', '#refreshAt', '#expiresAt', '#ttl', '#leaseUntil', '#leaseOwner'],
      values: {
        ':endpoint': endpoint,
        ':fetchedAt': fetchedAt,
        ':refreshAt': entry.refreshAt,
        ':expiresAt': entry.expiresAt,
        ':ttl': Math.ceil(entry.expiresAt / 1000) + TTL_MARGIN_S,
      },
    });
    return entry;
  };

  const release = (key: string) =>
    write(key, {
      update: 'REMOVE #leaseUntil, #leaseOwner',
      condition: '#leaseOwner = :owner',
      names: ['#leaseUntil', '#leaseOwner'],
      values: { ':owner': owner },
    });

  /** Until when this instance keeps an entry: a random moment of its refresh window, so reads spread. */
  const keepUntil = (entry: { refreshAt: number; expiresAt: number }, now: number): number =>
    Math.max(now, entry.refreshAt) + random() * Math.max(0, entry.expiresAt - Math.max(now, entry.refreshAt));

  /** Holds the lease: fetches and publishes, or gives the lease back when KVS failed. */
  const fetchForFleet = async (key: string, fetch: () => Promise<string>): Promise<SharedEndpoint> => {
    let endpoint: string;
    try {
      endpoint = await fetch();
    } catch (error) {
      await release(key).catch(() => undefined);
      throw error;
    }
    event('fetched');
    const entry = await publish(key, endpoint, clock.now()).catch(() => undefined);
    const now = clock.now();
    return { endpoint, keepUntil: entry ? keepUntil(entry, now) : now + options.ttlMs };
  };

  const usable = (
    entry: Entry | undefined,
    now: number,
  ): entry is Entry & { endpoint: string; refreshAt: number; expiresAt: number } =>
    entry?.endpoint !== undefined &&
    entry.expiresAt !== undefined &&
    entry.refreshAt !== undefined &&
    entry.expiresAt > now;

  const get = async (
    key: string,
    fetch: () => Promise<string>,
    deadline: number,
  ): Promise<SharedEndpoint> => {
    const started = clock.now();
    const waitUntil = started + Math.min(2 * LEASE_MS, Math.max(0, (deadline - started) / 2));
    let entry = await read(key, false);
    let waited = false;
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      const now = clock.now();
      if (usable(entry, now) && entry.refreshAt > now) {
        event(waited ? 'waited' : 'hit');
        return { endpoint: entry.endpoint, keepUntil: keepUntil(entry, now) };
      }
      const leaseFree = entry?.leaseUntil === undefined || entry.leaseUntil <= now;
      if (leaseFree) {
        const taken = await lease(key, now);
        if (taken.written) return fetchForFleet(key, fetch);
        entry = taken.told ? taken.current : await read(key, true);
        if (usable(entry, now) && entry.refreshAt <= now && entry.leaseUntil !== undefined) {
          // Someone else is refreshing: keep using the current endpoint, check again a little later.
          event('hit');
          return { endpoint: entry.endpoint, keepUntil: Math.min(entry.expiresAt, now + RECHECK_MS) };
        }
        continue;
      }
      if (usable(entry, now)) {
        // Due for a refresh that another instance is doing: the current endpoint still serves.
        event('hit');
        return { endpoint: entry.endpoint, keepUntil: Math.min(entry.expiresAt, now + RECHECK_MS) };
      }
      if (now >= waitUntil) {
        // The holder is late (stuck, or gone with its lease not yet expired): fetch, and share the result.
        event('fallback');
        const endpoint = await fetch();
        const published = await publish(key, endpoint, clock.now()).catch(() => undefined);
        const at = clock.now();
        return { endpoint, keepUntil: published ? keepUntil(published, at) : at + options.ttlMs };
      }
      const delay = Math.min(pollMs * (0.5 + random()), waitUntil - now);
      pollMs = Math.min(MAX_POLL_MS, pollMs * 1.5);
      waited = true;
      await sleep(delay);
      entry = await read(key, false);
    }
  };

  return {
    async get(key, fetch, deadline) {
      try {
        return await get(key, fetch, deadline);
      } catch (error) {
        if (!(error instanceof TableUnavailable)) throw error;
        event('fallback');
        return { endpoint: await fetch(), keepUntil: clock.now() + options.ttlMs };
      }
    },

    async invalidate(key, endpoint) {
      try {
        const result = await write(key, {
          update: 'REMOVE #endpoint, #fetchedAt, #refreshAt, #expiresAt',
          condition: '#endpoint = :endpoint',
          names: ['#endpoint', '#fetchedAt', '#refreshAt', '#expiresAt'],
          values: { ':endpoint': endpoint },
        });
        if (result.written) event('invalidated');
      } catch {
        // The table is failing: the entry expires on its own, and the next failure tries again.
      }
    },
  };
}
