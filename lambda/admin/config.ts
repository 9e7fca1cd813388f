/**
 * Configuration of the admin function, from its environment, read once at cold start: a missing or bad
 * setting fails the cold start with a message naming the variable.
 */
import { MAX_REQUEST_BODY_BYTES } from '../contract';

export interface AdminConfig {
  readonly region: string;
  /** DYNAMODB_ENDPOINT: a DynamoDB-compatible server other than AWS's (the local stack, tests). */
  readonly dynamoDbEndpoint?: string;
  readonly grantsTableName: string;
  readonly sessionsTableName: string;
  readonly maxBodyBytes: number;
  readonly powertools: { readonly serviceName: string; readonly logLevel: string };
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'];

export function parseAdminConfig(env: Readonly<Record<string, string | undefined>>): AdminConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (name: string): string => {
    const value = read(name);
    if (value === undefined) throw new Error(`${name} is required.`);
    return value;
  };
  const endpoint = read('DYNAMODB_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new Error('DYNAMODB_ENDPOINT must be an http(s) URL.');
  }
  const logLevel = (read('POWERTOOLS_LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  return {
    region: required('AWS_REGION'),
    ...(endpoint !== undefined ? { dynamoDbEndpoint: endpoint } : {}),
    grantsTableName: required('GRANTS_TABLE_NAME'),
    sessionsTableName: required('SESSIONS_TABLE_NAME'),
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    powertools: { serviceName: read('POWERTOOLS_SERVICE_NAME') ?? 'kvs-url-vending-admin', logLevel },
  };
}
