import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';

/** dynalite in a worker thread of its own: listens on a free loopback port and says which. */
const SERVER = `
const { parentPort } = require('node:worker_threads');
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

export interface DynamoDbThread {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The DynamoDB-compatible server npm start runs (dynalite, in memory), in a thread of its own with the
 * fleet's endpoint cache table (partition key `pk`, as the stack creates it). In npm start it shares the
 * stack's event loop; a fleet scenario puts a hundred instances' requests on it at once, and the KVS
 * emulator's answers must not queue behind them (on AWS, DynamoDB and KVS are separate services).
 */
export async function startDynamoDbThread(tableName: string): Promise<DynamoDbThread> {
  const worker = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: BENCH_REGION, endpoint, credentials: BENCH_CREDENTIALS });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    await worker.terminate();
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: async () => {
      await worker.terminate();
    },
  };
}
