import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import {
  createAbuseTable,
  type AbuseTable,
  type AbuseTableOptions,
} from '../../../lambda/adapters/rate-limiter-table';

const dynalite = createRequire(__filename)('dynalite') as (options: { createTableMs: number }) => Server;

export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
export const REGION = 'us-east-1';

/** A settable clock shared by every instance of a test, so refills happen without sleeping. */
export class FakeClock {
  current = 1_800_000_000_000;
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface RunningDynalite {
  endpoint: string;
  admin: DynamoDBClient;
  /** Requests the server refused (400: failed conditions, among others) since start. */
  refusedRequests(): number;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0 });
  let failures = 0;
  server.on(
    'request',
    (_req: unknown, res: { on(event: string, cb: () => void): void; statusCode: number }) => {
      res.on('finish', () => {
        if (res.statusCode === 400) failures += 1;
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const admin = new DynamoDBClient({ region: REGION, endpoint, credentials });
  return {
    endpoint,
    admin,
    refusedRequests: () => failures,
    stop: async () => {
      admin.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The recommended schema: partition key `pk` only (TTL on `ttl` is set by CDK in AWS). */
export async function createAbuseTableSchema(
  admin: DynamoDBClient,
  tableName: string,
  keySchema: { partition: string; sort?: string } = { partition: 'pk' },
): Promise<void> {
  const keys: KeySchemaElement[] = [{ AttributeName: keySchema.partition, KeyType: 'HASH' }];
  if (keySchema.sort) keys.push({ AttributeName: keySchema.sort, KeyType: 'RANGE' });
  await admin.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: keys.map((key) => ({ AttributeName: key.AttributeName!, AttributeType: 'S' })),
      KeySchema: keys,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/** One "Lambda instance": its own SDK client (and so its own connections and memo) on the shared table. */
export function instance(
  endpoint: string,
  tableName: string,
  clock: FakeClock,
  overrides: Partial<AbuseTableOptions> = {},
): { table: AbuseTable; client: DynamoDBClient } {
  const client = new DynamoDBClient({ region: REGION, endpoint, credentials, maxAttempts: 1 });
  const table = createAbuseTable({
    tableName,
    region: REGION,
    client,
    clock,
    timeoutMs: 10_000,
    ...overrides,
  });
  return { table, client };
}
