import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import dynalite from 'dynalite';
import { parseGrantRecords } from '../lambda/adapters/grants/grant-records';
import { close, listen } from './listen';

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
  /** Also create the admission table (caller limits, stream shares, session caps) under this name. */
  admissionTableName?: string;
  /** Also create the fleet's shared endpoint cache table under this name. */
  endpointCacheTableName?: string;
}

export interface RunningDynamoDb {
  endpoint: string;
  port: number;
  tableName: string;
  /** The admission table, when one was asked for. */
  admissionTableName?: string;
  /** The shared endpoint cache table, when one was asked for. */
  endpointCacheTableName?: string;
  /** How many grant records were written. */
  seeded: number;
  stop(): Promise<void>;
}

/**
 * A DynamoDB-compatible server (dynalite, in memory, in this process) with the grants table created and
 * seeded. The seed goes through the same record validation as the Lambda's grants file, so a typo in
 * `grants.json` stops the start instead of silently granting less.
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<RunningDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  const tableName = options.tableName ?? 'kvs-url-vending-grants';
  const records: unknown = JSON.parse(readFileSync(options.grantsFile ?? DEFAULT_GRANTS_FILE, 'utf8'));
  // Validated first; the raw records are what gets stored, as an operator would put them.
  const grants = parseGrantRecords(records);

  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, options.port ?? 0, host, 'DYNAMODB_PORT');
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({
    region: options.region ?? 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await client.send(
      new CreateTableCommand({
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
      }),
    );
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
    const items = (records as Record<string, unknown>[]).map((record, index) => ({
      ...record,
      grantId: grants[index]!.grantId,
    }));
    for (let offset = 0; offset < items.length; offset += 25) {
      const requests: WriteRequest[] = items
        .slice(offset, offset + 25)
        .map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    }
  } catch (error) {
    await close(server);
    throw error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    tableName,
    ...(options.admissionTableName !== undefined ? { admissionTableName: options.admissionTableName } : {}),
    ...(options.endpointCacheTableName !== undefined
      ? { endpointCacheTableName: options.endpointCacheTableName }
      : {}),
    seeded: grants.length,
    stop: () => close(server),
  };
}
