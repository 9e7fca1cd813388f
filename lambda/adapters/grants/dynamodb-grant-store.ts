import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LRUCache } from 'lru-cache';
import { UpstreamUnavailableError } from '../../core/errors';
import type { Grant } from '../../core/model';
import type { Clock, GrantStore } from '../../core/ports';
import { parseGrantRecord } from './grant-records';

export interface DynamoDbGrantStoreOptions {
  tableName: string;
  region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long the grants of one principal are reused before DynamoDB is asked again. */
  cacheTtlMs: number;
  /** Deadline of one `grantsFor` call, every page and retry included. Default 1500 ms. */
  timeoutMs?: number;
  clock?: Clock;
  /** Query page size (DynamoDB `Limit`); unset means DynamoDB's own 1 MB pages. */
  pageSize?: number;
  /** A stored record failed validation and was ignored (it grants nothing). */
  onInvalidRecord?: (principal: string, reason: string) => void;
  /** An existing client to share (tests, or a module-level client of the caller). */
  client?: DynamoDBClient;
}

export const DEFAULT_GRANTS_TIMEOUT_MS = 1_500;
const DEFAULT_TIMEOUT_MS = DEFAULT_GRANTS_TIMEOUT_MS;
/** Principals whose grants are cached at most (least recently used go first). */
const CACHE_MAX_ENTRIES = 10_000;
const UNAVAILABLE_MESSAGE = 'The grants store is unavailable.';

interface CacheEntry {
  grants: readonly Grant[];
  expiresAt: number;
}

/**
 * Grants from a DynamoDB table keyed by `principal` (partition) and `grantId` (sort). One Query per
 * principal, run in parallel, every page read. Results (empty ones too) are cached per principal for a
 * short TTL and concurrent lookups of one principal share one Query. Any failure of the table is an
 * UpstreamUnavailableError: without grants nothing is allowed, and nothing stale is served.
 *
 * A record that fails validation is skipped rather than failing the caller: dropping it can only take
 * access away, never add it.
 */
export function createDynamoDbGrantStore(options: DynamoDbGrantStoreOptions): GrantStore {
  const clock = options.clock ?? { now: () => Date.now() };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  const cache = new LRUCache<string, CacheEntry>({
    max: CACHE_MAX_ENTRIES,
  });
  const inflight = new Map<string, Promise<readonly Grant[]>>();

  const queryPrincipal = async (principal: string, signal: AbortSignal): Promise<readonly Grant[]> => {
    const grants: Grant[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: options.tableName,
          KeyConditionExpression: '#principal = :principal',
          ExpressionAttributeNames: { '#principal': 'principal' },
          ExpressionAttributeValues: { ':principal': { S: principal } },
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
        { abortSignal: signal },
      );
      for (const item of page.Items ?? []) {
        const grant = toGrant(item, principal);
        if (grant) grants.push(grant);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return grants;
  };

  const toGrant = (item: Record<string, AttributeValue>, principal: string): Grant | undefined => {
    try {
      const grant = parseGrantRecord(setsToLists(unmarshall(item)), `grant record of ${principal}`);
      // The key condition already guarantees this; a mismatch means a corrupt item.
      return grant.principal === principal ? grant : undefined;
    } catch (error) {
      options.onInvalidRecord?.(principal, (error as Error).message);
      return undefined;
    }
  };

  const load = (principal: string, signal: AbortSignal): Promise<readonly Grant[]> => {
    const cached = cache.get(principal);
    if (cached && cached.expiresAt > clock.now()) return Promise.resolve(cached.grants);
    const pending = inflight.get(principal);
    if (pending) return pending;
    const promise = queryPrincipal(principal, signal)
      .then((grants) => {
        cache.set(principal, { grants, expiresAt: clock.now() + options.cacheTtlMs });
        return grants;
      })
      .finally(() => inflight.delete(principal));
    inflight.set(principal, promise);
    return promise;
  };

  return {
    async grantsFor(principals: readonly string[]): Promise<readonly Grant[]> {
      const unique = [...new Set(principals)];
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const results = await Promise.all(unique.map((principal) => load(principal, signal)));
        return results.flat();
      } catch {
        throw new UpstreamUnavailableError(UNAVAILABLE_MESSAGE);
      }
    },
  };
}

/** String sets (SS) are accepted where the contract says lists of strings. */
function setsToLists(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      value instanceof Set ? [...(value as Set<unknown>)] : value,
    ]),
  );
}
