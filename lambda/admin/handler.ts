import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoDbGrantAdminStore } from '../adapters/grants/grant-admin-store';
import { createDynamoDbSessionQuery } from '../adapters/sessions/session-query';
import { parseAdminConfig } from './config';
import { createAdminHandler } from './create-handler';

export { createAdminHandler } from './create-handler';
export type { AdminHandler, AdminHandlerDeps } from './create-handler';

// Runs once per cold start: a bad setting fails here, and clients are reused.
const config = parseAdminConfig(process.env);
const endpoint = config.dynamoDbEndpoint !== undefined ? { endpoint: config.dynamoDbEndpoint } : {};

export const handler = createAdminHandler({
  grants: createDynamoDbGrantAdminStore({
    tableName: config.grantsTableName,
    region: config.region,
    ...endpoint,
  }),
  sessions: createDynamoDbSessionQuery({
    tableName: config.sessionsTableName,
    region: config.region,
    ...endpoint,
  }),
  logger: new Logger({
    serviceName: config.powertools.serviceName,
    logLevel: config.powertools.logLevel as 'INFO',
  }),
  maxBodyBytes: config.maxBodyBytes,
});
