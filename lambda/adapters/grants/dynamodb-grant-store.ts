import { DynamoDBClient, GetItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LRUCache } from 'lru-cache';
import { GRANT_ID_PATTERN } from '../../contract';
import { UpstreamUnavailableError } from '../../core/errors';
import type { Grant, PrincipalAccess, Revocation } from '../../core/model';
import type { Clock, GrantStore } from '../../core/ports';
import { GrantRecordError, parseStoredGrant } from './grant-records';
import { CONTROL_EPOCH_ATTRIBUTE, CONTROL_ITEM_KEY, REVOCATION_SORT_KEY } from './grants-table';
import { parseRevocationItem } from './revocation-records';

/** A stored record the function ignored (a grant) or read as in force without an end (a revocation). */
export interface InvalidRecord {
  readonly principal: string;
  /** The record's sort key, when it is one a grant may have. */
  readonly grantId?: string;
  /** What is wrong: field names and issues, never values. */
  readonly problems: readonly string[];
}

export interface DynamoDbGrantStoreOptions {
  tableName: string;
  region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long the grants of one principal are reused before DynamoDB is asked again. */
  cacheTtlMs: number;
  /**
   * Read the control item's epoch (one GetItem) on every call, and reload what the cache holds when it
   * moved: a change made through the admin API then counts from the next request. Default true.
   */
  epochCheck?: boolean;
  /** Deadline of one call, the epoch read, every page and retry included. Default 1500 ms. */
  timeoutMs?: number;
  clock?: Clock;
  /** Query page size (DynamoDB `Limit`); unset means DynamoDB's own 1 MB pages. */
  pageSize?: number;
  /** A stored record failed validation (see InvalidRecord). */
  onInvalidRecord?: (record: InvalidRecord) => void;
  /** An existing client to share (tests, or a module-level client of the caller). */
  client?: DynamoDBClient;
}

export const DEFAULT_GRANTS_TIMEOUT_MS = 1_500;
const DEFAULT_TIMEOUT_MS = DEFAULT_GRANTS_TIMEOUT_MS;
/** Principals whose grants are cached at most (least recently used go first). */
const CACHE_MAX_ENTRIES = 10_000;
const UNAVAILABLE_MESSAGE = 'The grants store is unavailable.';

interface PrincipalRecords {
  readonly grants: readonly Grant[];
  readonly revocation?: Revocation;
}

interface CacheEntry {
  readonly records: PrincipalRecords;
  readonly expiresAt: number;
  /** The control epoch the records were read under: they count only while it stays the same. */
  readonly epoch: number;
}

/**
 * Grants and revocations from the grants table (layout: `grants-table.ts`). One Query per principal, run
 * in parallel, every page read, strongly consistent (a reload right after a change must see it). What a
 * principal holds is cached for a short TTL, and concurrent lookups of one principal share one Query.
 * With the epoch check, every call first reads the control item (one GetItem, strongly consistent): the
 * admin function moves its epoch after every change, and cached records read under another epoch are
 * read again, so a grant given or taken away, or a revocation, counts on every instance from the next
 * request. Records written around the admin API (an `aws dynamodb put-item`, a deploy's partner grants)
 * count once the cache TTL has passed.
 *
 * Any failure of the table is an UpstreamUnavailableError: without grants nothing is allowed, and nothing
 * stale is served. A grant record that fails validation is skipped rather than failing the caller:
 * dropping it can only take access away. A revocation that cannot be read still revokes.
 */
export function createDynamoDbGrantStore(options: DynamoDbGrantStoreOptions): GrantStore {
  const clock = options.clock ?? { now: () => Date.now() };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const epochCheck = options.epochCheck ?? true;
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  const cache = new LRUCache<string, CacheEntry>({ max: CACHE_MAX_ENTRIES });
  const inflight = new Map<string, Promise<PrincipalRecords>>();
  const controlKey = marshall(CONTROL_ITEM_KEY);

  const readEpoch = async (signal: AbortSignal): Promise<number> => {
    const output = await client.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: controlKey,
        ConsistentRead: true,
        ProjectionExpression: '#epoch',
        ExpressionAttributeNames: { '#epoch': CONTROL_EPOCH_ATTRIBUTE },
      }),
      { abortSignal: signal },
    );
    const epoch = output.Item?.[CONTROL_EPOCH_ATTRIBUTE]?.N;
    return epoch === undefined ? 0 : Number(epoch);
  };

  const invalid = (record: InvalidRecord): void => options.onInvalidRecord?.(record);

  const queryPrincipal = async (principal: string, signal: AbortSignal): Promise<PrincipalRecords> => {
    const grants: Grant[] = [];
    let revocation: Revocation | undefined;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: options.tableName,
          KeyConditionExpression: '#principal = :principal',
          ExpressionAttributeNames: { '#principal': 'principal' },
          ExpressionAttributeValues: { ':principal': { S: principal } },
          ConsistentRead: true,
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
        { abortSignal: signal },
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        if (item.grantId === REVOCATION_SORT_KEY) {
          const parsed = parseRevocationItem(item, principal);
          if (!parsed.valid) {
            invalid({
              principal,
              grantId: REVOCATION_SORT_KEY,
              problems: ['unreadable revocation: in force, without an end'],
            });
          }
          revocation = parsed.revocation;
          continue;
        }
        const grant = toGrant(item, principal);
        if (grant) grants.push(grant);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { grants, ...(revocation ? { revocation } : {}) };
  };

  const toGrant = (item: Record<string, unknown>, principal: string): Grant | undefined => {
    const grantId =
      typeof item.grantId === 'string' && GRANT_ID_PATTERN.test(item.grantId) ? item.grantId : undefined;
    try {
      const { grant } = parseStoredGrant(item, `grant record of ${principal}`);
      // The key condition already guarantees this; a mismatch means a corrupt item.
      if (grant.principal === principal) return grant;
      invalid({ principal, ...(grantId ? { grantId } : {}), problems: ['principal: not the partition key'] });
      return undefined;
    } catch (error) {
      const problems =
        error instanceof GrantRecordError
          ? error.details.map((detail) => `${detail.field}: ${detail.issue}`)
          : ['unreadable'];
      invalid({ principal, ...(grantId ? { grantId } : {}), problems });
      return undefined;
    }
  };

  const load = (principal: string, epoch: number, signal: AbortSignal): Promise<PrincipalRecords> => {
    const cached = cache.get(principal);
    if (cached && cached.epoch === epoch && cached.expiresAt > clock.now()) {
      return Promise.resolve(cached.records);
    }
    const key = `${epoch}\n${principal}`;
    const pending = inflight.get(key);
    if (pending) return pending;
    const promise = queryPrincipal(principal, signal)
      .then((records) => {
        cache.set(principal, { records, expiresAt: clock.now() + options.cacheTtlMs, epoch });
        return records;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, promise);
    return promise;
  };

  const accessFor = async (principals: readonly string[]): Promise<PrincipalAccess> => {
    const unique = [...new Set(principals)];
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const epoch = epochCheck ? await readEpoch(signal) : 0;
      const results = await Promise.all(unique.map((principal) => load(principal, epoch, signal)));
      return {
        grants: results.flatMap((records) => records.grants),
        revocations: results.flatMap((records) => (records.revocation ? [records.revocation] : [])),
      };
    } catch {
      throw new UpstreamUnavailableError(UNAVAILABLE_MESSAGE);
    }
  };

  return {
    accessFor,
    async grantsFor(principals: readonly string[]): Promise<readonly Grant[]> {
      return (await accessFor(principals)).grants;
    },
  };
}
