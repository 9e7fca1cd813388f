import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import {
  createAdmissionTable,
  type AdmissionTable,
  type AdmissionTableOptions,
} from '../../../lambda/adapters/admission/admission-table';

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
  /** Requests per operation (`GetItem`, `UpdateItem`, ...) since start, the test's own included. */
  operations(): Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0 });
  let failures = 0;
  const operations: Record<string, number> = {};
  server.on(
    'request',
    (
      req: { headers: Record<string, string | undefined> },
      res: { on(event: string, cb: () => void): void; statusCode: number },
    ) => {
      const operation = req.headers['x-amz-target']?.split('.')[1];
      if (operation) operations[operation] = (operations[operation] ?? 0) + 1;
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
    operations: () => ({ ...operations }),
    stop: async () => {
      admin.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The admission table's schema: partition key `pk` only (TTL on `ttl` is set by CDK in AWS). */
export async function createAdmissionTableSchema(admin: DynamoDBClient, tableName: string): Promise<void> {
  await admin.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

export interface AdmissionTableFixture {
  /** The server of this `describe` block (started once for all its tests). */
  readonly db: RunningDynalite;
  /** A fresh clock for each test, shared by every instance that test makes. */
  readonly clock: FakeClock;
  /**
   * One "Lambda instance": its own SDK client (and so its own connections and memo) on the shared table.
   * The client is destroyed after the test.
   */
  instance(overrides?: Partial<AdmissionTableOptions>): AdmissionTable;
  /** The item stored under partition key `pk`, read consistently, or undefined. */
  storedItem(pk: string): Promise<Record<string, NativeAttributeValue> | undefined>;
}

/**
 * Registers the jest hooks of a `describe` block that runs against one dynalite server holding the
 * admission table `tableName`, and gives the tests access to it.
 */
export function useAdmissionTable(tableName: string): AdmissionTableFixture {
  let db: RunningDynalite | undefined;
  let clock: FakeClock | undefined;
  let clients: DynamoDBClient[] = [];

  const running = (): RunningDynalite => {
    if (!db) throw new Error('dynalite is not running: use the fixture inside a test.');
    return db;
  };
  const currentClock = (): FakeClock => {
    if (!clock) throw new Error('no clock outside a test.');
    return clock;
  };

  beforeAll(async () => {
    db = await startDynalite();
    await createAdmissionTableSchema(db.admin, tableName);
  });

  afterAll(async () => {
    await db?.stop();
  });

  beforeEach(() => {
    clock = new FakeClock();
    clients = [];
  });

  afterEach(() => {
    for (const client of clients) client.destroy();
  });

  return {
    get db() {
      return running();
    },
    get clock() {
      return currentClock();
    },
    instance(overrides = {}) {
      const client = new DynamoDBClient({
        region: REGION,
        endpoint: running().endpoint,
        credentials,
        maxAttempts: 1,
      });
      clients.push(client);
      return createAdmissionTable({
        tableName,
        region: REGION,
        client,
        clock: currentClock(),
        timeoutMs: 10_000,
        ...overrides,
      });
    },
    async storedItem(pk) {
      const output = await running().admin.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      return output.Item ? unmarshall(output.Item) : undefined;
    },
  };
}
