import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { UpstreamUnavailableError } from '../../core/errors';
import type { Clock } from '../../core/ports';
import type { SessionLog, SessionRecord } from '../../core/sessions';
import {
  MAX_USER_AGENT_LENGTH,
  outstandingAfter,
  sessionInstant,
  sessionKeyOf,
  SESSIONS_TABLE_KEY,
  SESSIONS_TABLE_TTL_ATTRIBUTE,
} from './sessions-table';

export interface DynamoDbSessionLogOptions {
  tableName: string;
  region: string;
  /** Endpoint override (the local DynamoDB-compatible server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Deadline of one `open`, the record's write, the count and the undo included. Default 500 ms. */
  timeoutMs?: number;
  clock?: Clock;
  /** An existing client to share (tests, or a module-level client of the caller). */
  client?: DynamoDBClient;
}

export const DEFAULT_SESSION_LOG_TIMEOUT_MS = 500;
const UNAVAILABLE_MESSAGE = 'The session log is unavailable.';

/** A session record as the sessions table holds it (layout: `sessions-table.ts`). */
export function sessionItem(session: SessionRecord): Record<string, AttributeValue> {
  return marshall(
    {
      [SESSIONS_TABLE_KEY.partitionKey]: session.principal,
      [SESSIONS_TABLE_KEY.sortKey]: sessionKeyOf(session.expiresAt, session.requestId),
      grantPrincipal: session.grantPrincipal,
      stream: session.stream,
      protocol: session.protocol,
      playbackMode: session.playbackMode,
      ...(session.start !== undefined ? { start: sessionInstant(session.start) } : {}),
      ...(session.end !== undefined ? { end: sessionInstant(session.end) } : {}),
      expiresAt: sessionInstant(session.expiresAt),
      createdAt: sessionInstant(session.createdAt),
      requestId: session.requestId,
      ...(session.sourceIp !== undefined ? { sourceIp: session.sourceIp } : {}),
      ...(session.userAgent !== undefined
        ? { userAgent: session.userAgent.slice(0, MAX_USER_AGENT_LENGTH) }
        : {}),
      [SESSIONS_TABLE_TTL_ATTRIBUTE]: Math.ceil(session.expiresAt / 1000),
    },
    { removeUndefinedValues: true },
  );
}

/**
 * The session log in DynamoDB: one item per vend, written before KVS is called. With a cap, the
 * principal's outstanding sessions are counted right after the write (a strongly consistent Query of its
 * partition): above the cap, the record is deleted again and the vend refused. Two instances racing for
 * the last slot may then both count the other and both refuse, never both succeed, so the cap is never
 * exceeded (each caller retries after Retry-After).
 */
export function createDynamoDbSessionLog(options: DynamoDbSessionLogOptions): SessionLog {
  const clock = options.clock ?? { now: () => Date.now() };
  const timeoutMs = options.timeoutMs ?? DEFAULT_SESSION_LOG_TIMEOUT_MS;
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  const keyOf = (session: SessionRecord): Record<string, AttributeValue> => ({
    [SESSIONS_TABLE_KEY.partitionKey]: { S: session.principal },
    [SESSIONS_TABLE_KEY.sortKey]: { S: sessionKeyOf(session.expiresAt, session.requestId) },
  });

  /** Outstanding sessions of `principal`, counted up to `atLeast` (enough to compare with a cap). */
  const countOutstanding = async (
    principal: string,
    atLeast: number,
    signal: AbortSignal,
  ): Promise<number> => {
    let count = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: options.tableName,
          KeyConditionExpression: '#pk = :principal AND #sk > :now',
          ExpressionAttributeNames: {
            '#pk': SESSIONS_TABLE_KEY.partitionKey,
            '#sk': SESSIONS_TABLE_KEY.sortKey,
          },
          ExpressionAttributeValues: {
            ':principal': { S: principal },
            ':now': { S: outstandingAfter(clock.now()) },
          },
          ConsistentRead: true,
          Select: 'COUNT',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
        { abortSignal: signal },
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && count < atLeast);
    return count;
  };

  return {
    async open(session: SessionRecord, cap?: number): Promise<boolean> {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await client.send(new PutItemCommand({ TableName: options.tableName, Item: sessionItem(session) }), {
          abortSignal: signal,
        });
        if (cap === undefined) return true;
        if ((await countOutstanding(session.principal, cap + 1, signal)) <= cap) return true;
        await client.send(new DeleteItemCommand({ TableName: options.tableName, Key: keyOf(session) }), {
          abortSignal: signal,
        });
        return false;
      } catch {
        throw new UpstreamUnavailableError(UNAVAILABLE_MESSAGE);
      }
    },

    async discard(session: SessionRecord): Promise<void> {
      await client.send(new DeleteItemCommand({ TableName: options.tableName, Key: keyOf(session) }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    },
  };
}
