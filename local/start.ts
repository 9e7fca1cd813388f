import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  loadStreamConfigs,
  startKvsEmulator,
  StreamConfigError,
  type EmulatorOptions,
  type RunningEmulator,
} from '@kvs-url-vending/kvs-emulator';
import { STAGE_THROTTLE } from '../lambda/contract';
import {
  MEDIA_FUNCTION_TIMEOUT_SECONDS,
  MEDIA_KEY_PREFIX,
  MEDIA_OBJECT_EXPIRY_DAYS,
} from '../lambda/vend/media-config';
import { LOCAL_ADMIN_FUNCTION, LOCAL_FUNCTION, LOCAL_MEDIA_FUNCTION } from './api-gateway/proxy-event';
import { createLocalApiServer } from './api-gateway/server';
import { bundleClient, CLIENT_BUNDLE_PATH } from './demo/client-bundle';
import { DEMO_CONFIG_PATH } from './demo/static-files';
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
import { stop as stopEsbuild } from 'esbuild';
import { ADMIN_HANDLER_ENTRY, buildFunctionBundle, type FunctionBundle } from './lambda-runtime/bundle';
import { routeToFunctions } from './lambda-runtime/function-router';
import { InstancePool, type InstancePoolStats } from './lambda-runtime/instance-pool';
import { close, listen, portFromEnv, PortInUseError } from './listen';
import { expireObjects } from './s3/expire-objects';
import { DEFAULT_S3_DIR, startLocalS3, type LocalS3ClientConfig } from './s3/local-s3';

export const DEFAULT_PARTNERS_FILE = resolve(__dirname, 'partners.json');
const REGION = 'us-east-1';
const ADMISSION_TABLE = 'kvs-url-vending-admission';
/**
 * The deadline of a table call in the local stack: the grants store, the session log (deployed: 1500 ms and
 * 500 ms) and admission (deployed: ADMISSION_DEFAULTS.timeoutMs); see the environment below.
 */
export const LOCAL_TABLE_TIMEOUT_MS = 4_000;
/** Admission's deadline in the local stack. */
export const LOCAL_ADMISSION_TIMEOUT_MS = LOCAL_TABLE_TIMEOUT_MS;
const SESSIONS_TABLE = 'kvs-url-vending-sessions';
/** Instances of the admin function at most: operators' tools, a few requests at a time. */
export const ADMIN_LAMBDA_CONCURRENCY = 10;
const ENDPOINT_CACHE_TABLE = 'kvs-url-vending-endpoint-cache';
/** Instances of the function at most, unless LOCAL_LAMBDA_CONCURRENCY says otherwise: above any burst of the tests. */
export const DEFAULT_LAMBDA_CONCURRENCY = 50;
const MEDIA_ENTRY = resolve(__dirname, '..', 'lambda', 'vend', 'media-handler.ts');
/** The bucket's lifecycle rule, applied at start and every hour (s3rver has none of its own). */
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;

export interface LocalStackOptions {
  /** 0 = any free port for every service, or one port per service. Default: API_PORT (3000),
   * KVS_PORT (4567), DYNAMODB_PORT (any free port), S3_PORT (4568). */
  ports?: 0 | { api?: number; kvs?: number; dynamodb?: number; s3?: number };
  /**
   * Where the local S3 server keeps clips and images. Default: a temporary folder removed on stop;
   * `npm start` keeps them in `.local/s3` (objects older than a day are deleted, as the bucket's
   * lifecycle rule does).
   */
  s3Dir?: string;
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
  /**
   * Origins that get CORS headers besides the local API's own (a web developer's dev server, e.g.
   * `http://localhost:5173`): exact origins, as the function's ALLOWED_ORIGINS takes them.
   */
  allowedOrigins?: readonly string[];
  /**
   * The stage throttle of the API (requests per second, burst); beyond it API Gateway's THROTTLED 429.
   * Default the stack's (`STAGE_THROTTLE` of the contract: 100 per second, a burst of 200).
   */
  stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Instances of the function at most; beyond, API Gateway answers 500 as in AWS. Default 50. */
  lambdaConcurrency?: number;
  /** The function's timeout: an invocation still running then fails, and its instance is discarded. Default 10 s, as deployed. */
  functionTimeoutMs?: number;
  /** Passed to the KVS emulator (streams, quotas, faults, clock). */
  emulator?: Omit<EmulatorOptions, 'port' | 'host'>;
  /**
   * Turn on the function's admission (caller limit, stream share, optional session cap) with its table in
   * the local DynamoDB, as a deployment with ADMISSION_TABLE_NAME would. Default off here; `npm start`
   * turns it on unless LOCAL_ADMISSION=0.
   */
  admission?: boolean;
  /**
   * The fleet's shared endpoint cache (a table in the local DynamoDB), as the stack deploys it by
   * default: one instance fetches a stream's data endpoint for all. Default on.
   */
  sharedEndpointCache?: boolean;
}

export interface LocalStack {
  apiUrl: string;
  /** The S3-compatible server of clips and images, and its bucket. */
  s3: { endpoint: string; bucket: string; clientConfig: LocalS3ClientConfig };
  demoUrl: string;
  jwksUrl: string;
  kvsEndpoint: string;
  dynamoDbEndpoint: string;
  issuer: string;
  audience: string;
  partners: readonly LocalPartner[];
  emulator: RunningEmulator;
  /** Whether the function runs with admission (caller limit, stream share, session cap). */
  admission: boolean;
  /** The stage throttle the local API applies. */
  stageThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins the function gives CORS headers: the local API's own, then those asked for. */
  allowedOrigins: readonly string[];
  /** The admin function as Lambda runs it (the admin API's routes, signed with the local credentials). */
  adminLambda: {
    readonly bundle: FunctionBundle;
    stats(): InstancePoolStats;
  };
  /** The function as Lambda runs it: its bundle and its pool of instances. */
  lambda: {
    readonly bundle: FunctionBundle;
    readonly concurrency: number;
    stats(): InstancePoolStats;
    /** The heap in use of all its instances (a soak's leak check); see InstancePool.heapUsedBytes. */
    heapUsedBytes(options?: { collectGarbage?: boolean }): Promise<number>;
  };
  /** The media function (clips and images) as Lambda runs it. */
  mediaLambda: {
    readonly bundle: FunctionBundle;
    stats(): InstancePoolStats;
  };
  /** A token of the local identity provider, as `npm run token` prints it. */
  mintToken(options: MintTokenOptions): string;
  stop(): Promise<void>;
}

/**
 * Starts the whole product locally: KVS emulator, DynamoDB-compatible grants table, dev identity provider,
 * and the API in front of the vend function, which runs as Lambda runs it: bundled as the stack bundles
 * it, in a pool of instances that each serve one request at a time. The function reads its configuration
 * when an instance initialises, so one instance is initialised before the stack is reported up: a setting
 * it rejects stops the start with the function's own message.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const ports =
    options.ports === 0
      ? { api: 0, kvs: 0, dynamodb: 0, s3: 0 }
      : {
          api: options.ports?.api ?? portFromEnv('API_PORT', 3000),
          kvs: options.ports?.kvs ?? portFromEnv('KVS_PORT', 4567),
          dynamodb: options.ports?.dynamodb ?? portFromEnv('DYNAMODB_PORT', 0),
          s3: options.ports?.s3 ?? portFromEnv('S3_PORT', 4568),
        };
  const partners =
    options.partners ?? (JSON.parse(readFileSync(DEFAULT_PARTNERS_FILE, 'utf8')) as LocalPartner[]);
  const signingKey = loadOrCreateSigningKey(options.stateDir ?? DEFAULT_STATE_DIR);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const pending = stops.splice(0).reverse();
    for (const stop of pending) await stop();
  };

  // Bundling takes a second or so: it runs while the services start. Both builds share esbuild's service
  // process, stopped once both are done, so nothing of it stays running beside the stack (stopping it
  // while the other build is in flight would fail that build).
  const bundles = Promise.all([
    buildFunctionBundle(),
    bundleClient(),
    buildFunctionBundle({ entry: MEDIA_ENTRY, name: 'media' }),
    buildFunctionBundle({ entry: ADMIN_HANDLER_ENTRY, name: 'admin' }),
  ]).finally(() => stopEsbuild());
  bundles.catch(() => undefined);

  try {
    const clientBundle = (await bundles)[1];
    const api = createLocalApiServer({
      partners,
      assets: {
        [CLIENT_BUNDLE_PATH]: { type: 'text/javascript; charset=utf-8', body: clientBundle },
        // What the demo page needs to know of this stack: how much shorter KVS sessions are here.
        [DEMO_CONFIG_PATH]: {
          type: 'application/json',
          body: Buffer.from(
            JSON.stringify({ sessionLifetimeScale: options.emulator?.sessionLifetimeScale ?? 1 }),
          ),
        },
      },
      ...(options.functionTimeoutMs !== undefined ? { functionTimeoutMs: options.functionTimeoutMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.stageThrottle ? { stageThrottle: options.stageThrottle } : {}),
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
      sessionsTableName: SESSIONS_TABLE,
      // local/partners.json stands for cdk.json's partners: their grants are the stack's.
      stackPartnerIds: partners.map((partner) => partner.apiKeyId),
      ...(options.sharedEndpointCache !== false ? { endpointCacheTableName: ENDPOINT_CACHE_TABLE } : {}),
    });
    stops.push(() => dynamoDb.stop());

    const jwksUrl = `${apiUrl}${JWKS_PATH}`;
    const allowedOrigins = [
      ...new Set([apiUrl, `http://localhost:${apiPort}`, ...(options.allowedOrigins ?? [])]),
    ];
    // API Gateway's preflights and own answers use the same origins as the function, as in the stack.
    api.setAllowedOrigins(allowedOrigins);

    // Clips and images: the S3-compatible server, its bucket created at start, pages of the allowed
    // origins may download from it (the demo page's "Download clip" and thumbnails).
    const temporaryS3Dir = options.s3Dir === undefined ? mkdtempSync(join(tmpdir(), 'local-s3-')) : undefined;
    const s3 = await startLocalS3({
      port: ports.s3,
      host,
      region: REGION,
      dir: options.s3Dir ?? temporaryS3Dir!,
      corsOrigins: allowedOrigins,
    });
    stops.push(async () => {
      await s3.stop();
      if (temporaryS3Dir) rmSync(temporaryS3Dir, { recursive: true, force: true });
    });
    const s3Client = new S3Client({ ...s3.clientConfig, maxAttempts: 1 });
    const sweep = (): Promise<unknown> =>
      expireObjects(s3Client, s3.bucket, MEDIA_KEY_PREFIX, MEDIA_OBJECT_EXPIRY_DAYS * 86_400_000).catch(
        (error: unknown) =>
          process.stderr.write(`local S3: expiring old objects failed: ${(error as Error).message}\n`),
      );
    await sweep();
    const sweeper = setInterval(() => void sweep(), EXPIRY_SWEEP_MS);
    sweeper.unref();
    stops.push(() => {
      clearInterval(sweeper);
      s3Client.destroy();
      return Promise.resolve();
    });
    const environment = handlerEnvironment(
      {
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
        ALLOWED_ORIGINS: allowedOrigins.join(','),
        ...(dynamoDb.admissionTableName !== undefined
          ? { ADMISSION_TABLE_NAME: dynamoDb.admissionTableName }
          : {}),
        SESSIONS_TABLE_NAME: SESSIONS_TABLE,
        ...(dynamoDb.endpointCacheTableName !== undefined
          ? { ENDPOINT_CACHE_TABLE_NAME: dynamoDb.endpointCacheTableName }
          : {}),
      },
      options.env ?? {},
    );
    const bundle = (await bundles)[0];
    const concurrency = options.lambdaConcurrency ?? DEFAULT_LAMBDA_CONCURRENCY;
    const pool = new InstancePool({
      runtimeFile: bundle.runtimeFile,
      handlerFile: bundle.handlerFile,
      handlerName: bundle.handlerName,
      execArgv: bundle.execArgv,
      environment,
      identity: LOCAL_FUNCTION,
      concurrency,
    });
    stops.push(() => pool.stop());
    const adminBundle = (await bundles)[3];
    const adminPool = new InstancePool({
      runtimeFile: adminBundle.runtimeFile,
      handlerFile: adminBundle.handlerFile,
      handlerName: adminBundle.handlerName,
      execArgv: adminBundle.execArgv,
      environment: handlerEnvironment(
        {
          POWERTOOLS_SERVICE_NAME: 'kvs-url-vending-admin',
          GRANTS_TABLE_NAME: dynamoDb.tableName,
          SESSIONS_TABLE_NAME: SESSIONS_TABLE,
          DYNAMODB_ENDPOINT: dynamoDb.endpoint,
          AWS_REGION: REGION,
          AWS_DEFAULT_REGION: REGION,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        },
        {},
      ),
      identity: LOCAL_ADMIN_FUNCTION,
      concurrency: ADMIN_LAMBDA_CONCURRENCY,
      instanceIdPrefix: 'admin-instance',
    });
    stops.push(() => adminPool.stop());
    const mediaBundle = (await bundles)[2];
    const mediaPool = new InstancePool({
      runtimeFile: mediaBundle.runtimeFile,
      handlerFile: mediaBundle.handlerFile,
      handlerName: mediaBundle.handlerName,
      execArgv: mediaBundle.execArgv,
      environment: {
        ...environment,
        MEDIA_BUCKET_NAME: s3.bucket,
        S3_ENDPOINT: s3.endpoint,
        // A secret of this run: clips are found again while the stack runs (the objects outlive it,
        // unreachable by a later run, until they expire).
        MEDIA_KEY_SECRET: randomBytes(32).toString('hex'),
        ...(options.env ?? {}),
      },
      identity: LOCAL_MEDIA_FUNCTION,
      concurrency,
      // Its lines share stdout with the vend function's: `media-instance-1`, ... tells them apart.
      instanceIdPrefix: 'media-instance',
    });
    stops.push(() => mediaPool.stop());
    await Promise.all([pool.warm(), mediaPool.warm(), adminPool.warm()]);
    // The vend and media functions' routes go to their pools, each with its own context (name, timeout);
    // the admin function's to its own pool.
    const vendAndMedia = routeToFunctions(
      {
        vend: {
          handler: pool.handler,
          identity: LOCAL_FUNCTION,
          timeoutMs: options.functionTimeoutMs ?? 10_000,
        },
        media: {
          handler: mediaPool.handler,
          identity: LOCAL_MEDIA_FUNCTION,
          timeoutMs: MEDIA_FUNCTION_TIMEOUT_SECONDS * 1000,
        },
      },
      options.now,
    );
    api.setHandler(vendAndMedia, 'vend');
    api.setHandler(vendAndMedia, 'media');
    api.setHandler(adminPool.handler, 'admin');

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
      s3: { endpoint: s3.endpoint, bucket: s3.bucket, clientConfig: s3.clientConfig },
      admission: dynamoDb.admissionTableName !== undefined,
      stageThrottle: options.stageThrottle ?? STAGE_THROTTLE,
      allowedOrigins,
      adminLambda: { bundle: adminBundle, stats: () => adminPool.stats() },
      lambda: {
        bundle,
        concurrency,
        stats: () => pool.stats(),
        heapUsedBytes: (heapOptions) => pool.heapUsedBytes(heapOptions),
      },
      mediaLambda: { bundle: mediaBundle, stats: () => mediaPool.stats() },
      mintToken: (tokenOptions) => mintToken(signingKey, tokenOptions),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The environment every instance of the function gets: this process's environment (so whoever runs the
 * stack can set the function's knobs, such as POWERTOOLS_LOG_LEVEL or KVS_CALL_TIMEOUT_MS), then the
 * wiring to the local services, then `overrides` (what a test asks for).
 */
/**
 * The local DynamoDB shares this machine's cores with the API, the emulator and every instance of the
 * function: under a burst its answers take hundreds of milliseconds where DynamoDB's take a few, so the grants
 * store, the session log and admission each get a longer deadline than deployed (LOCAL_TABLE_TIMEOUT_MS). A
 * deadline the machine and not the table runs out turns a burst into 503s, whose callers retry at once and keep
 * the machine busy. Defaults only: the same variables from the shell win (to try the deployed deadlines).
 */
const LOCAL_TABLE_DEADLINES: Record<string, string> = {
  GRANTS_TIMEOUT_MS: String(LOCAL_TABLE_TIMEOUT_MS),
  SESSIONS_TIMEOUT_MS: String(LOCAL_TABLE_TIMEOUT_MS),
  ADMISSION_TIMEOUT_MS: String(LOCAL_ADMISSION_TIMEOUT_MS),
};

/**
 * A function's environment in the local stack: its defaults (LOCAL_TABLE_DEADLINES), then the shell's
 * (`shell`, less what would point it elsewhere), then the wiring to the local services, then `overrides`.
 */
export function handlerEnvironment(
  wiring: Record<string, string>,
  overrides: Record<string, string>,
  shell: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(shell)) {
    if (value !== undefined) inherited[name] = value;
  }
  // A session token from the caller's shell would be signed into every KVS call of the local credentials;
  // the other settings would point the function at something else than the local services.
  for (const name of [
    'AWS_SESSION_TOKEN',
    'JWT_SECRET',
    'JWT_SECRET_ARN',
    'GRANTS_FILE',
    'ADMISSION_TABLE_NAME',
    'ENDPOINT_CACHE_TABLE_NAME',
  ]) {
    delete inherited[name];
  }
  return {
    POWERTOOLS_SERVICE_NAME: 'kvs-url-vending',
    // In Lambda the function runs on Node.js 22 or newer, where the AWS SDK has nothing to say about the
    // Node.js version; here every instance would print the SDK's notice about Node.js 20 once.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...LOCAL_TABLE_DEADLINES,
    ...inherited,
    ...wiring,
    ...overrides,
  };
}

/**
 * What `npm start` reads from its environment besides the ports: the variables the README lists under
 * "Configuring npm start". A bad value throws with a message that names the variable.
 */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv): LocalStackOptions {
  const concurrency = env.LOCAL_LAMBDA_CONCURRENCY;
  if (concurrency !== undefined && concurrency !== '' && !/^[1-9]\d*$/.test(concurrency)) {
    throw new Error(`LOCAL_LAMBDA_CONCURRENCY must be a whole number of at least 1, got "${concurrency}".`);
  }
  const origins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  const scale = env.KVS_SESSION_LIFETIME_SCALE;
  const sessionLifetimeScale = scale ? Number(scale) : undefined;
  if (sessionLifetimeScale !== undefined && !(sessionLifetimeScale > 0 && sessionLifetimeScale <= 1)) {
    throw new Error(`KVS_SESSION_LIFETIME_SCALE must be greater than 0 and at most 1, got "${scale}".`);
  }
  const stageThrottle = stageThrottleFromEnvironment(env);
  const streamsFile = env.KVS_STREAMS_FILE;
  let streams;
  if (streamsFile) {
    try {
      streams = loadStreamConfigs(streamsFile);
    } catch (error) {
      throw new Error(`KVS_STREAMS_FILE ${streamsFile}: ${(error as Error).message}`);
    }
  }
  return {
    admission: env.LOCAL_ADMISSION !== '0',
    ...(concurrency ? { lambdaConcurrency: Number(concurrency) } : {}),
    ...(stageThrottle ? { stageThrottle } : {}),
    ...(origins.length > 0 ? { allowedOrigins: origins } : {}),
    ...(streams || sessionLifetimeScale !== undefined
      ? {
          emulator: {
            ...(streams ? { streams } : {}),
            ...(sessionLifetimeScale !== undefined ? { sessionLifetimeScale } : {}),
          },
        }
      : {}),
  };
}

/**
 * LOCAL_STAGE_RATE_LIMIT (requests per second, a positive number) and LOCAL_STAGE_BURST_LIMIT (a whole
 * number of at least 1), as the stack's `stageThrottle` takes them; either alone keeps the other's default.
 */
function stageThrottleFromEnvironment(
  env: NodeJS.ProcessEnv,
): { rateLimit: number; burstLimit: number } | undefined {
  const rate = env.LOCAL_STAGE_RATE_LIMIT;
  const burst = env.LOCAL_STAGE_BURST_LIMIT;
  if (!rate && !burst) return undefined;
  const rateLimit = rate ? Number(rate) : STAGE_THROTTLE.rateLimit;
  if (!(Number.isFinite(rateLimit) && rateLimit > 0)) {
    throw new Error(`LOCAL_STAGE_RATE_LIMIT must be a number of requests per second above 0, got "${rate}".`);
  }
  if (burst && !/^[1-9]\d*$/.test(burst)) {
    throw new Error(`LOCAL_STAGE_BURST_LIMIT must be a whole number of at least 1, got "${burst}".`);
  }
  return { rateLimit, burstLimit: burst ? Number(burst) : STAGE_THROTTLE.burstLimit };
}

async function main(): Promise<void> {
  // The AWS SDK's notice that its releases from January 2027 need Node.js 22: the lockfile keeps versions
  // that run on Node.js 20, so on every start it would only be noise (the maintainers' documented opt-out).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ s3Dir: DEFAULT_S3_DIR, ...optionsFromEnvironment(process.env) });
  } catch (error) {
    const streamsFile = process.env.KVS_STREAMS_FILE;
    // A stream of the file the emulator could not serve (its media, found only when it loads): name the file.
    const message =
      error instanceof StreamConfigError && streamsFile
        ? `KVS_STREAMS_FILE ${streamsFile}: ${error.message}`
        : (error as Error).message;
    process.stderr.write(`npm start: ${message}\n`);
    process.exit(1);
  }
  const partner = stack.partners[0];
  const { bundle, concurrency } = stack.lambda;
  const mediaBundle = stack.mediaLambda.bundle;
  const lines = [
    '',
    'kvs-url-vending local stack is running',
    `  API             ${stack.apiUrl}`,
    `  demo page       ${stack.demoUrl}`,
    `  KVS emulator    ${stack.kvsEndpoint}${process.env.KVS_STREAMS_FILE ? `  (streams of ${process.env.KVS_STREAMS_FILE})` : ''}`,
    `  DynamoDB        ${stack.dynamoDbEndpoint}`,
    `  JWKS            ${stack.jwksUrl}`,
    `  function        bundled as deployed (${Math.round(bundle.handlerBytes / 1024)} KB, ${(bundle.buildMs / 1000).toFixed(1)} s), up to ${concurrency} instances (LOCAL_LAMBDA_CONCURRENCY)`,
    `  media function  clips and images, bundled as deployed (${Math.round(mediaBundle.handlerBytes / 1024)} KB), up to ${concurrency} instances`,
    `  S3              ${stack.s3.endpoint}  (bucket ${stack.s3.bucket}, objects in .local/s3, kept a day)`,
    `  CORS origins    ${stack.allowedOrigins.join(', ')}  (ALLOWED_ORIGINS adds yours)`,
    `  admission       ${stack.admission ? 'on (LOCAL_ADMISSION=0 turns it off)' : 'off'}`,
    `  stage throttle  ${stack.stageThrottle.rateLimit} requests/s, burst ${stack.stageThrottle.burstLimit} (LOCAL_STAGE_RATE_LIMIT, LOCAL_STAGE_BURST_LIMIT)`,
  ];
  const sessionLifetimeScale = process.env.KVS_SESSION_LIFETIME_SCALE;
  if (sessionLifetimeScale) {
    lines.push(
      `  short sessions  KVS sessions last ${sessionLifetimeScale} of their Expires; the demo page renews and`,
      `                  shows its schedule at that scale`,
    );
  }
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
    `  npm run -s admin -- --api ${stack.apiUrl} sessions --stream front-door   (admin API: README, "Operating it")`,
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
  // Ctrl-C sends SIGINT to every process of the terminal's group; a process manager or `kill <pid>` sends
  // SIGTERM to npm alone, which passes it on to its script (`exec` makes this process that script, with no
  // shell or tsx in between to swallow it); closing the terminal sends SIGHUP.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // Whoever started the stack (npm, tsx) may end without passing anything on (npm dies of SIGHUP or
  // SIGKILL): an orphaned stack would keep its ports, so it stops when its parent is gone.
  const parent = process.ppid;
  const orphanCheck = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphanCheck);
    shutdown('parent process exited');
  }, 500).unref();
}

if (require.main === module) {
  void main();
}
