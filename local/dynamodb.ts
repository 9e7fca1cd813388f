import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { STACK_MANAGED } from '../lambda/contract';
import { parseGrantRecords } from '../lambda/adapters/grants/grant-records';
import {
  SESSIONS_BY_GRANT_PRINCIPAL_INDEX,
  SESSIONS_BY_STREAM_INDEX,
  SESSIONS_TABLE_KEY,
} from '../lambda/adapters/sessions/sessions-table';
import { startDynamoDbServerThread } from './dynamodb-thread';

const DEFAULT_GRANTS_FILE = resolve(__dirname, 'grants.json');
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalDynamoDbOptions {
  /** 0 = any free port. */
  port?: number;
  host?: string;
  region?: string;
  tableName?: string;
  /** JSON array of grant records (the contract shape, `notAfter` as RFC 3339). */
  grantsFile?: string;
  /** Also create the admission table (caller limits, stream shares) under this name. */
  admissionTableName?: string;
  /** Also create the sessions table (the session log, with its two indexes) under this name. */
  sessionsTableName?: string;
  /**
   * The API key ids of the partners the local stack stands in for `cdk.json`'s: their grants of the seed
   * are marked as the stack's (`managedBy`), as a deploy's partner grant writer marks them.
   */
  stackPartnerIds?: readonly string[];
  /** Also create the fleet's shared endpoint cache table under this name. */
  endpointCacheTableName?: string;
}

export interface RunningDynamoDb {
  endpoint: string;
  port: number;
  tableName: string;
  /** The admission table, when one was asked for. */
  admissionTableName?: string;
  /** The sessions table, when one was asked for. */
  sessionsTableName?: string;
  /** The shared endpoint cache table, when one was asked for. */
  endpointCacheTableName?: string;
  /** How many grant records were written. */
  seeded: number;
  stop(): Promise<void>;
}

/**
 * The sessions table as the stack defines it (lib/constructs/sessions-table.ts): its key and its two
 * indexes (TTL is an AWS-side setting).
 */
export function sessionsTableDefinition(tableName: string): CreateTableCommandInput {
  const index = (name: string, partitionKey: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: SESSIONS_TABLE_KEY.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: SESSIONS_TABLE_KEY.partitionKey, AttributeType: 'S' },
      { AttributeName: SESSIONS_TABLE_KEY.sortKey, AttributeType: 'S' },
      { AttributeName: SESSIONS_BY_STREAM_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: SESSIONS_BY_GRANT_PRINCIPAL_INDEX.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: SESSIONS_TABLE_KEY.partitionKey, KeyType: 'HASH' },
      { AttributeName: SESSIONS_TABLE_KEY.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(SESSIONS_BY_STREAM_INDEX.name, SESSIONS_BY_STREAM_INDEX.partitionKey),
      index(SESSIONS_BY_GRANT_PRINCIPAL_INDEX.name, SESSIONS_BY_GRANT_PRINCIPAL_INDEX.partitionKey),
    ],
  };
}

/** The grants table as the stack defines it (lib/constructs/grants-table.ts). */
export function grantsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'principal', AttributeType: 'S' },
      { AttributeName: 'grantId', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'principal', KeyType: 'HASH' },
      { AttributeName: 'grantId', KeyType: 'RANGE' },
    ],
  };
}

/**
 * A DynamoDB-compatible server (dynalite, in memory, in a thread of its own: local/dynamodb-thread.ts)
 * with the grants table created and seeded. The seed goes through the same record validation as the Lambda's grants file, so a typo in
 * `grants.json` stops the start instead of silently granting less.
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<RunningDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  const tableName = options.tableName ?? 'kvs-url-vending-grants';
  const records: unknown = JSON.parse(readFileSync(options.grantsFile ?? DEFAULT_GRANTS_FILE, 'utf8'));
  // Validated first; the raw records are what gets stored, as an operator would put them.
  const grants = parseGrantRecords(records);

  const server = await startDynamoDbServerThread({ port: options.port ?? 0, host, envVar: 'DYNAMODB_PORT' });
  const { port } = server;
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({
    region: options.region ?? 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await client.send(new CreateTableCommand(grantsTableDefinition(tableName)));
    // The schema the function's admission and endpoint cache tables have: partition key `pk` only (TTL is
    // an AWS-side setting).
    for (const name of [options.admissionTableName, options.endpointCacheTableName]) {
      if (name === undefined) continue;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
    }
    if (options.sessionsTableName !== undefined) {
      await client.send(new CreateTableCommand(sessionsTableDefinition(options.sessionsTableName)));
    }
    const stackPrincipals = new Set((options.stackPartnerIds ?? []).map((id) => `partner:${id}`));
    const items = (records as Record<string, unknown>[]).map((record, index) => ({
      ...record,
      grantId: grants[index]!.grantId,
      ...(stackPrincipals.has(grants[index]!.principal) ? { managedBy: STACK_MANAGED } : {}),
    }));
    for (let offset = 0; offset < items.length; offset += 25) {
      const requests: WriteRequest[] = items
        .slice(offset, offset + 25)
        .map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    }
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    tableName,
    ...(options.admissionTableName !== undefined ? { admissionTableName: options.admissionTableName } : {}),
    ...(options.sessionsTableName !== undefined ? { sessionsTableName: options.sessionsTableName } : {}),
    ...(options.endpointCacheTableName !== undefined
      ? { endpointCacheTableName: options.endpointCacheTableName }
      : {}),
    seeded: grants.length,
    stop: () => server.stop(),
  };
}
