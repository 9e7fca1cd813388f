import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbServerThread } from '../../local/dynamodb-thread';
import { BENCH_CREDENTIALS, BENCH_REGION } from '../lib/handler-env';

export interface DynamoDbThread {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The DynamoDB-compatible server npm start runs (dynalite, in memory, in a thread of its own:
 * local/dynamodb-thread.ts) with the fleet's endpoint cache table (partition key `pk`, as the stack creates
 * it). A fleet scenario puts a hundred instances' requests on it at once, and the KVS emulator's answers
 * must not queue behind them (on AWS, DynamoDB and KVS are separate services).
 */
export async function startDynamoDbThread(tableName: string): Promise<DynamoDbThread> {
  const server = await startDynamoDbServerThread({
    port: 0,
    host: '127.0.0.1',
    envVar: 'BENCH_DYNAMODB_PORT',
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
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
    await server.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => server.stop() };
}
