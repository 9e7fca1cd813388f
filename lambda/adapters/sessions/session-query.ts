import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../../core/ports';
import {
  outstandingAfter,
  SESSIONS_BY_GRANT_PRINCIPAL_INDEX,
  SESSIONS_BY_STREAM_INDEX,
  SESSIONS_TABLE_KEY,
  SESSIONS_TABLE_TTL_ATTRIBUTE,
} from './sessions-table';

/** Whose sessions: a stream's, a caller's (`user:`, `partner:`), or those a principal's grants allowed. */
export type SessionSelector =
  { readonly stream: string } | { readonly principal: string } | { readonly grantPrincipal: string };

/** The instants of a session record (stored fixed-width, with milliseconds, so that keys sort). */
const INSTANT_FIELDS = new Set(['start', 'end', 'expiresAt', 'createdAt']);

/** One outstanding session as the admin API shows it: the record's attributes, instants in RFC 3339. */

export type SessionView = Readonly<Record<string, string>>;

export interface SessionPage {
  readonly sessions: readonly SessionView[];
  /** Opaque: pass it back for the next page. Absent: this was the last. */
  readonly nextToken?: string;
}

export interface SessionBound {
  /** How many sessions are still outstanding. */
  readonly outstanding: number;
  /** Epoch ms: when the last of them ends. Absent: none is outstanding. */
  readonly latestExpiresAt?: number;
}

export interface SessionQuery {
  /** Outstanding sessions, those ending first first. Throws InvalidPageToken for a token it did not issue. */
  list(selector: SessionSelector, page: { limit: number; nextToken?: string }): Promise<SessionPage>;
  /** How many are outstanding, and when the last one ends. */
  bound(selector: SessionSelector): Promise<SessionBound>;
}

export class InvalidPageToken extends Error {
  constructor() {
    super('The page token is invalid.');
    this.name = 'InvalidPageToken';
  }
}

export interface DynamoDbSessionQueryOptions {
  tableName: string;
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  clock?: Clock;
  client?: DynamoDBClient;
}

/** Where a selector's sessions are: the table's own key, or an index, and the attribute keyed on. */
function target(selector: SessionSelector): { index?: string; attribute: string; value: string } {
  if ('stream' in selector) {
    return {
      index: SESSIONS_BY_STREAM_INDEX.name,
      attribute: SESSIONS_BY_STREAM_INDEX.partitionKey,
      value: selector.stream,
    };
  }
  if ('grantPrincipal' in selector) {
    return {
      index: SESSIONS_BY_GRANT_PRINCIPAL_INDEX.name,
      attribute: SESSIONS_BY_GRANT_PRINCIPAL_INDEX.partitionKey,
      value: selector.grantPrincipal,
    };
  }
  return { attribute: SESSIONS_TABLE_KEY.partitionKey, value: selector.principal };
}

/** The sessions table read by the admin function (layout: `sessions-table.ts`). */
export function createDynamoDbSessionQuery(options: DynamoDbSessionQueryOptions): SessionQuery {
  const clock = options.clock ?? { now: () => Date.now() };
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });

  const query = (
    selector: SessionSelector,
    extra: { limit?: number; startKey?: Record<string, AttributeValue>; last?: boolean; count?: boolean },
  ) => {
    const { index, attribute, value } = target(selector);
    return client.send(
      new QueryCommand({
        TableName: options.tableName,
        ...(index ? { IndexName: index } : {}),
        KeyConditionExpression: '#pk = :value AND #sk > :now',
        ExpressionAttributeNames: { '#pk': attribute, '#sk': SESSIONS_TABLE_KEY.sortKey },
        ExpressionAttributeValues: { ':value': { S: value }, ':now': { S: outstandingAfter(clock.now()) } },
        ...(extra.limit !== undefined ? { Limit: extra.limit } : {}),
        ...(extra.startKey ? { ExclusiveStartKey: extra.startKey } : {}),
        ...(extra.last ? { ScanIndexForward: false } : {}),
        ...(extra.count ? { Select: 'COUNT' as const } : {}),
      }),
    );
  };

  return {
    async list(selector, page) {
      const startKey = page.nextToken === undefined ? undefined : decodeToken(page.nextToken);
      const output = await query(selector, { limit: page.limit, ...(startKey ? { startKey } : {}) });
      const sessions = (output.Items ?? []).map((item) => {
        const {
          [SESSIONS_TABLE_KEY.sortKey]: _key,
          [SESSIONS_TABLE_TTL_ATTRIBUTE]: _ttl,
          ...rest
        } = unmarshall(item) as Record<string, unknown>;
        return Object.fromEntries(
          Object.entries(rest)
            .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
            // Instants as the vend answer gives them (its expiresAt): no fractional part when there is none.
            .map(([name, value]) => [name, INSTANT_FIELDS.has(name) ? value.replace(/\.000Z$/, 'Z') : value]),
        );
      });
      return {
        sessions,
        ...(output.LastEvaluatedKey ? { nextToken: encodeToken(output.LastEvaluatedKey) } : {}),
      };
    },

    async bound(selector) {
      let outstanding = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await query(selector, { count: true, ...(startKey ? { startKey } : {}) });
        outstanding += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      if (outstanding === 0) return { outstanding };
      const last = await query(selector, { limit: 1, last: true });
      const expiresAt: unknown = last.Items?.[0] ? unmarshall(last.Items[0]).expiresAt : undefined;
      return {
        outstanding,
        ...(typeof expiresAt === 'string' ? { latestExpiresAt: Date.parse(expiresAt) } : {}),
      };
    },
  };
}

/** A page token: the query's LastEvaluatedKey (strings only), as base64url JSON. */
function encodeToken(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(unmarshall(key)), 'utf8').toString('base64url');
}

function decodeToken(token: string): Record<string, AttributeValue> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageToken();
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.keys(value).length === 0 ||
    Object.keys(value).length > 4 ||
    !Object.values(value).every((part) => typeof part === 'string' && part.length <= 2048)
  ) {
    throw new InvalidPageToken();
  }
  return marshall(value);
}
