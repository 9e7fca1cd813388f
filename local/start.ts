import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startKvsEmulator, type EmulatorOptions, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createLocalApiServer, type ProxyHandler } from './api-gateway/server';
import type { LocalPartner } from './api-gateway/usage-plan';
import { LOCAL_CREDENTIALS, startLocalDynamoDb, type RunningDynamoDb } from './dynamodb';
import {
  JWKS_PATH,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  jwksDocument,
  mintToken,
  type MintTokenOptions,
} from './identity/identity-provider';
import { DEFAULT_STATE_DIR, loadOrCreateSigningKey } from './identity/signing-key';
import { close, listen, portFromEnv, PortInUseError } from './listen';

export const DEFAULT_PARTNERS_FILE = resolve(__dirname, 'partners.json');
const REGION = 'us-east-1';
const ADMISSION_TABLE = 'kvs-url-vending-admission';

export interface LocalStackOptions {
  /** 0 = any free port for every service, or one port per service. Default: API_PORT (3000),
   * KVS_PORT (4567), DYNAMODB_PORT (any free port). */
  ports?: 0 | { api?: number; kvs?: number; dynamodb?: number };
  host?: string;
  /** Where the identity provider keeps its signing key. Default `<repo>/.local`. */
  stateDir?: string;
  grantsFile?: string;
  /** Local API keys and their usage plans. Default `local/partners.json`. */
  partners?: readonly LocalPartner[];
  /** Epoch ms for the usage plans (tests inject one). */
  now?: () => number;
  /** Extra or overriding handler environment (log level, timeouts). */
  env?: Record<string, string>;
  /** Passed to the KVS emulator (streams, quotas, faults, clock). */
  emulator?: Omit<EmulatorOptions, 'port' | 'host'>;
  /**
   * Turn on the function's admission (caller limit, stream share, optional session cap) with its table in
   * the local DynamoDB, as a deployment with ADMISSION_TABLE_NAME would. Default off here; `npm start`
   * turns it on unless LOCAL_ADMISSION=0.
   */
  admission?: boolean;
}

export interface LocalStack {
  apiUrl: string;
  demoUrl: string;
  jwksUrl: string;
  kvsEndpoint: string;
  dynamoDbEndpoint: string;
  issuer: string;
  audience: string;
  partners: readonly LocalPartner[];
  emulator: RunningEmulator;
  /** A token of the local identity provider, as `npm run token` prints it. */
  mintToken(options: MintTokenOptions): string;
  stop(): Promise<void>;
}

/**
 * Starts the whole product locally: KVS emulator, DynamoDB-compatible grants table, dev identity provider
 * and the API in front of the real vend handler. The handler reads its configuration when its module
 * loads, so it is imported only once everything it points at is listening — and therefore only one
 * stack per process (or per jest test file) sees its own configuration.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const ports =
    options.ports === 0
      ? { api: 0, kvs: 0, dynamodb: 0 }
      : {
          api: options.ports?.api ?? portFromEnv('API_PORT', 3000),
          kvs: options.ports?.kvs ?? portFromEnv('KVS_PORT', 4567),
          dynamodb: options.ports?.dynamodb ?? portFromEnv('DYNAMODB_PORT', 0),
        };
  const partners =
    options.partners ?? (JSON.parse(readFileSync(DEFAULT_PARTNERS_FILE, 'utf8')) as LocalPartner[]);
  const signingKey = loadOrCreateSigningKey(options.stateDir ?? DEFAULT_STATE_DIR);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const pending = stops.splice(0).reverse();
    for (const stop of pending) await stop();
  };

  try {
    const api = createLocalApiServer({
      partners,
      ...(options.now ? { now: options.now } : {}),
      jwks: () => jwksDocument(signingKey),
      mintToken: ({ sub, groups, ttlSeconds }) =>
        mintToken(signingKey, { sub, groups, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
    });
    const apiPort = await listen(api.server, ports.api, host, 'API_PORT');
    stops.push(() => close(api.server));
    const apiUrl = `http://${host}:${apiPort}`;

    let emulator: RunningEmulator;
    try {
      emulator = await startKvsEmulator({
        region: REGION,
        credentials: { ...LOCAL_CREDENTIALS },
        ...options.emulator,
        port: ports.kvs,
        host,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError(ports.kvs, 'KVS_PORT');
      }
      throw error;
    }
    stops.push(() => emulator.stop());

    const dynamoDb: RunningDynamoDb = await startLocalDynamoDb({
      port: ports.dynamodb,
      host,
      region: REGION,
      ...(options.grantsFile ? { grantsFile: options.grantsFile } : {}),
      ...(options.admission ? { admissionTableName: ADMISSION_TABLE } : {}),
    });
    stops.push(() => dynamoDb.stop());

    const jwksUrl = `${apiUrl}${JWKS_PATH}`;
    setHandlerEnvironment({
      JWT_ISSUER: LOCAL_ISSUER,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      JWT_JWKS_URL: jwksUrl,
      JWT_ALGORITHMS: 'ES256',
      GRANTS_TABLE_NAME: dynamoDb.tableName,
      DYNAMODB_ENDPOINT: dynamoDb.endpoint,
      KVS_ENDPOINT: emulator.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      ALLOWED_ORIGINS: [apiUrl, `http://localhost:${apiPort}`].join(','),
      ...(dynamoDb.admissionTableName !== undefined
        ? { ADMISSION_TABLE_NAME: dynamoDb.admissionTableName }
        : {}),
      ...options.env,
    });
    const handlerModule = (await import('../lambda/vend/handler')) as { handler: unknown };
    api.setHandler(handlerModule.handler as ProxyHandler);

    return {
      apiUrl,
      demoUrl: `${apiUrl}/`,
      jwksUrl,
      kvsEndpoint: emulator.endpoint,
      dynamoDbEndpoint: dynamoDb.endpoint,
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      partners,
      emulator,
      mintToken: (tokenOptions) => mintToken(signingKey, tokenOptions),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The wiring always wins; the rest are defaults the person running the stack may override. */
function setHandlerEnvironment(wiring: Record<string, string>): void {
  // A session token from the caller's shell would be signed into every KVS call of the local credentials.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.JWT_SECRET;
  delete process.env.JWT_SECRET_ARN;
  delete process.env.GRANTS_FILE;
  delete process.env.ADMISSION_TABLE_NAME;
  process.env.POWERTOOLS_SERVICE_NAME ??= 'kvs-url-vending';
  Object.assign(process.env, wiring);
}

async function main(): Promise<void> {
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ admission: process.env.LOCAL_ADMISSION !== '0' });
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const partner = stack.partners[0];
  const lines = [
    '',
    'kvs-url-vending local stack is running',
    `  API             ${stack.apiUrl}`,
    `  demo page       ${stack.demoUrl}`,
    `  KVS emulator    ${stack.kvsEndpoint}`,
    `  DynamoDB        ${stack.dynamoDbEndpoint}`,
    `  JWKS            ${stack.jwksUrl}`,
    `  admission       ${process.env.ADMISSION_TABLE_NAME ? 'on (LOCAL_ADMISSION=0 turns it off)' : 'off'}`,
  ];
  if (partner) {
    lines.push(
      `  partner API key ${partner.apiKey}  (${partner.apiKeyId}: front-door LIVE, expiry <= 300 s)`,
      '',
      'Try it:',
      `  curl -s -X POST ${stack.apiUrl}/partner/v1/streams/front-door/playback-url \\`,
      `    -H 'x-api-key: ${partner.apiKey}' -H 'content-type: application/json' -d '{"protocol":"HLS"}'`,
    );
  }
  lines.push(
    `  curl -s ${stack.apiUrl}/v1/streams -H "authorization: Bearer $(npm run -s token -- --sub alice)"`,
    '',
    'Ctrl-C stops everything.',
    '',
  );
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting.\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack...\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  void main();
}
