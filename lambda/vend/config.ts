/**
 * Configuration of the vend function, from its environment. `parseConfig` is pure so it can be tested;
 * the handler calls it once at module load, so a missing or bad setting fails the cold start with a
 * message naming the variable, not the first request. Messages never echo a value: one may be a secret.
 */
import { MAX_REQUEST_BODY_BYTES } from '../contract';
import { DEFAULT_GRANTS_TIMEOUT_MS } from '../adapters/grants/dynamodb-grant-store';
import {
  DEFAULT_JWKS_TIMEOUT_MS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  JWT_ALGORITHMS_BY_KEY,
  type JwtAlgorithm,
} from '../adapters/jwt-verifier';
import { MAX_ENDPOINT_TTL_MS } from '../adapters/kvs/endpoint-cache';
import { DEFAULT_GROUPS_CLAIMS } from '../core/caller';
import { DEFAULT_LIVE_MAX_FRAGMENTS, KVS_SESSION_URL_QUOTA_PER_STREAM } from '../core/model';
import { GIVE_BACK_GRACE_MS } from '../core/admission';

export type JwtKeySource =
  | { readonly kind: 'jwks'; readonly url: string }
  | { readonly kind: 'secretArn'; readonly arn: string }
  | { readonly kind: 'secret'; readonly secret: string };

export type GrantsSource =
  | { readonly kind: 'table'; readonly tableName: string; readonly endpoint?: string }
  | { readonly kind: 'file'; readonly path: string };

export interface Config {
  readonly region: string;
  /** DYNAMODB_ENDPOINT: a DynamoDB-compatible server other than AWS's (the local stack, tests). */
  readonly dynamoDbEndpoint?: string;
  readonly jwt: {
    readonly issuer: string;
    readonly audience: string;
    readonly keySource: JwtKeySource;
    readonly algorithms: readonly JwtAlgorithm[];
    readonly groupsClaims: readonly string[];
    readonly clockToleranceSeconds: number;
    readonly maxTokenBytes: number;
    readonly maxTokenLifetimeSeconds: number;
    readonly jwksRefetchIntervalSeconds: number;
  };
  readonly grants: {
    readonly source: GrantsSource;
    readonly cacheTtlSeconds: number;
  };
  readonly kvs: {
    readonly endpoint?: string;
    readonly callTimeoutMs: number;
    readonly retryBudgetMs: number;
    readonly endpointCacheTtlSeconds: number;
    readonly endpointCacheMaxEntries: number;
    /** ENDPOINT_CACHE_TABLE_NAME: the fleet's shared endpoint cache; absent: each instance fetches its own. */
    readonly endpointCacheTableName?: string;
    readonly streamListCacheTtlSeconds: number;
  };
  readonly http: {
    readonly allowedOrigins: readonly string[];
    readonly maxBodyBytes: number;
  };
  readonly playback: {
    /** The most fragments a LIVE session lists (how far back LIVE reaches). */
    readonly liveMaxFragments: number;
  };
  /** Admission (caller limit, stream share, session cap); absent when ADMISSION_TABLE_NAME is not set. */
  readonly admission?: AdmissionConfig;
  /** The session log every vend is recorded in; absent when SESSIONS_TABLE_NAME is not set. */
  readonly sessions?: SessionsConfig;
  readonly powertools: {
    readonly serviceName: string;
    readonly metricsNamespace: string;
    readonly logLevel: LogLevel;
  };
}

export interface SessionsConfig {
  readonly tableName: string;
  /** Deadline of one record's write (and, with a session cap, its count). */
  readonly timeoutMs: number;
}

export interface AdmissionConfig {
  readonly tableName: string;
  readonly callerLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly streamLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly streamShareWindowSeconds: number;
  /** 0: no cap. Counted on the session log's records: needs SESSIONS_TABLE_NAME. */
  readonly sessionCap: number;
  readonly timeoutMs: number;
}

export const MIN_TOKEN_LIFETIME_SECONDS = 60;
/** 30 days: beyond that a token is closer to a password than to a session. */
export const MAX_TOKEN_LIFETIME_SECONDS = 2_592_000;
/**
 * Live players need about three fragments behind the edge to start (RFC 8216 §6.3.3); a hundred 2-second
 * fragments already reach more than three minutes back.
 */
export const LIVE_MAX_FRAGMENTS_RANGE = { min: 3, max: 100 } as const;

/**
 * How long one vend may retry KVS unless KVS_RETRY_BUDGET_MS says otherwise; also the margin by which a
 * session ends before its grant's notAfter. The function's timeout must leave room for it.
 */
export const DEFAULT_KVS_RETRY_BUDGET_MS = 4000;

/** How long the write of a session record (and its count under a cap) may take unless SESSIONS_TIMEOUT_MS says. */
export const DEFAULT_SESSIONS_TIMEOUT_MS = 500;

/** Admission's settings when their variables are not set (the stack keeps them unless told). */
export const ADMISSION_DEFAULTS = {
  callerLimit: { ratePerSecond: 5, burst: 10 },
  /** Rate + burst stay within KVS_SESSION_URL_QUOTA_PER_STREAM: a bucket lets both through in one second. */
  streamLimit: { ratePerSecond: 20, burst: 5 },
  streamShareWindowSeconds: 10,
  /** 0: no cap. */
  sessionCap: 0,
  /**
   * All of one admission's table operations together, retries included. Long enough that a slow moment
   * of the table on a busy machine is waited out rather than answered 503; with the KVS retry budget it
   * leaves KVS time within the stack's default Lambda timeout (10 s; see worstCaseWaitsBeforeKvsMs).
   */
  timeoutMs: 1500,
} as const;

/** Time to write an answer and its audit line once the last upstream call has ended. */
export const ANSWER_TIME_MS = 250;

/**
 * The longest the function can wait on its own dependencies before it calls KVS, each at its default
 * deadline, plus what it keeps back to answer (`answerMarginMs` of the handler): the key set (a JWKS fetch),
 * the grants (the control epoch's read included); with admission, its checks (all under one deadline, run
 * together) and the give-back of a refused request (up to GIVE_BACK_GRACE_MS past that deadline); and with
 * the session log, the record's write (and its count under the cap) and taking it back. KVS gets what is
 * left of the invocation after these, so the Lambda timeout must exceed them (the stack checks it at synth).
 * The session cap and giving a slot back are the session log's calls (on the sessions table), no longer
 * the admission table's: admission counts one deadline and the grace.
 */
export function worstCaseWaitsBeforeKvsMs(admission: boolean, sessions = true): number {
  const admissionMs = admission ? ADMISSION_DEFAULTS.timeoutMs + GIVE_BACK_GRACE_MS : 0;
  const sessionsMs = sessions ? 2 * DEFAULT_SESSIONS_TIMEOUT_MS : 0;
  return DEFAULT_JWKS_TIMEOUT_MS + DEFAULT_GRANTS_TIMEOUT_MS + admissionMs + sessionsMs + ANSWER_TIME_MS;
}

class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseConfig(env: Env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (name: string): string => {
    const value = read(name);
    if (value === undefined) throw new ConfigError(`${name} is required.`);
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number(value);
  };
  const list = (name: string): string[] | undefined =>
    read(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const exactlyOne = (names: readonly string[]): string => {
    const present = names.filter((name) => read(name) !== undefined);
    if (present.length !== 1) throw new ConfigError(`Set exactly one of ${names.join(', ')}.`);
    return present[0]!;
  };

  const keyVariable = exactlyOne(['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'JWT_SECRET']);
  const keySource: JwtKeySource =
    keyVariable === 'JWT_JWKS_URL'
      ? { kind: 'jwks', url: httpUrl('JWT_JWKS_URL', required('JWT_JWKS_URL')) }
      : keyVariable === 'JWT_SECRET_ARN'
        ? { kind: 'secretArn', arn: secretArn(required('JWT_SECRET_ARN')) }
        : { kind: 'secret', secret: required('JWT_SECRET') };
  const family: readonly JwtAlgorithm[] =
    keySource.kind === 'jwks' ? JWT_ALGORITHMS_BY_KEY.keySet : JWT_ALGORITHMS_BY_KEY.secret;
  const algorithms = list('JWT_ALGORITHMS') ?? [...family];
  if (algorithms.length === 0 || !algorithms.every((alg) => (family as readonly string[]).includes(alg))) {
    throw new ConfigError(
      `JWT_ALGORITHMS must list only ${family.join(', ')} with ${keyVariable} (no other algorithm is accepted).`,
    );
  }

  const grantsVariable = exactlyOne(['GRANTS_TABLE_NAME', 'GRANTS_FILE']);
  const dynamoDbEndpoint = read('DYNAMODB_ENDPOINT');
  const grantsSource: GrantsSource =
    grantsVariable === 'GRANTS_TABLE_NAME'
      ? {
          kind: 'table',
          tableName: required('GRANTS_TABLE_NAME'),
          ...(dynamoDbEndpoint !== undefined
            ? { endpoint: httpUrl('DYNAMODB_ENDPOINT', dynamoDbEndpoint) }
            : {}),
        }
      : { kind: 'file', path: required('GRANTS_FILE') };

  const kvsEndpoint = read('KVS_ENDPOINT');
  const endpointCacheTableName = read('ENDPOINT_CACHE_TABLE_NAME');
  const logLevel = (read('POWERTOOLS_LOG_LEVEL') ?? 'INFO').toUpperCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  // Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; it beats every other level (Powertools
  // applies it, and Lambda itself drops the JSON lines below it), so above INFO it would drop the audit lines.
  const lambdaLogLevel = read('AWS_LAMBDA_LOG_LEVEL')?.toUpperCase();
  if (lambdaLogLevel !== undefined && !['TRACE', 'DEBUG', 'INFO'].includes(lambdaLogLevel)) {
    throw new ConfigError(
      "AWS_LAMBDA_LOG_LEVEL (the application log level of Lambda's logging controls) must be TRACE, DEBUG or INFO: above INFO it drops the audit lines.",
    );
  }

  const admissionTable = read('ADMISSION_TABLE_NAME');
  let admission: AdmissionConfig | undefined;
  if (admissionTable !== undefined) {
    const streamLimit = {
      ratePerSecond: integer(
        'ADMISSION_STREAM_RATE_PER_SECOND',
        ADMISSION_DEFAULTS.streamLimit.ratePerSecond,
        1,
        KVS_SESSION_URL_QUOTA_PER_STREAM,
      ),
      burst: integer(
        'ADMISSION_STREAM_BURST',
        ADMISSION_DEFAULTS.streamLimit.burst,
        1,
        KVS_SESSION_URL_QUOTA_PER_STREAM,
      ),
    };
    if (streamLimit.ratePerSecond + streamLimit.burst > KVS_SESSION_URL_QUOTA_PER_STREAM) {
      throw new ConfigError(
        `ADMISSION_STREAM_RATE_PER_SECOND + ADMISSION_STREAM_BURST must not exceed the KVS quota of ${KVS_SESSION_URL_QUOTA_PER_STREAM}/s.`,
      );
    }
    admission = {
      tableName: admissionTable,
      callerLimit: {
        ratePerSecond: integer(
          'ADMISSION_CALLER_RATE_PER_SECOND',
          ADMISSION_DEFAULTS.callerLimit.ratePerSecond,
          1,
          10_000,
        ),
        burst: integer('ADMISSION_CALLER_BURST', ADMISSION_DEFAULTS.callerLimit.burst, 1, 10_000),
      },
      streamLimit,
      streamShareWindowSeconds: integer(
        'ADMISSION_STREAM_SHARE_WINDOW_SECONDS',
        ADMISSION_DEFAULTS.streamShareWindowSeconds,
        1,
        3600,
      ),
      sessionCap: integer('ADMISSION_SESSION_CAP', ADMISSION_DEFAULTS.sessionCap, 0, 10_000),
      timeoutMs: integer('ADMISSION_TIMEOUT_MS', ADMISSION_DEFAULTS.timeoutMs, 50, 10_000),
    };
  }

  const sessionsTable = read('SESSIONS_TABLE_NAME');
  const sessions: SessionsConfig | undefined =
    sessionsTable === undefined
      ? undefined
      : {
          tableName: sessionsTable,
          timeoutMs: integer('SESSIONS_TIMEOUT_MS', DEFAULT_SESSIONS_TIMEOUT_MS, 50, 10_000),
        };
  if (admission && admission.sessionCap > 0 && !sessions) {
    throw new ConfigError(
      "ADMISSION_SESSION_CAP needs SESSIONS_TABLE_NAME: the cap counts the session log's records.",
    );
  }

  return {
    region: required('AWS_REGION'),
    ...(dynamoDbEndpoint !== undefined
      ? { dynamoDbEndpoint: httpUrl('DYNAMODB_ENDPOINT', dynamoDbEndpoint) }
      : {}),
    jwt: {
      issuer: required('JWT_ISSUER'),
      audience: required('JWT_AUDIENCE'),
      keySource,
      algorithms: algorithms as JwtAlgorithm[],
      groupsClaims: list('JWT_GROUPS_CLAIM') ?? [...DEFAULT_GROUPS_CLAIMS],
      clockToleranceSeconds: integer('JWT_CLOCK_TOLERANCE_SECONDS', 5, 0, 300),
      maxTokenBytes: integer('JWT_MAX_TOKEN_BYTES', 8192, 256, 65536),
      maxTokenLifetimeSeconds: integer(
        'JWT_MAX_TOKEN_LIFETIME_SECONDS',
        DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
        MIN_TOKEN_LIFETIME_SECONDS,
        MAX_TOKEN_LIFETIME_SECONDS,
      ),
      jwksRefetchIntervalSeconds: integer('JWKS_REFETCH_INTERVAL_SECONDS', 30, 1, 86400),
    },
    grants: {
      source: grantsSource,
      cacheTtlSeconds: integer('GRANTS_CACHE_TTL_SECONDS', 30, 0, 3600),
    },
    kvs: {
      ...(kvsEndpoint !== undefined ? { endpoint: httpUrl('KVS_ENDPOINT', kvsEndpoint) } : {}),
      callTimeoutMs: integer('KVS_CALL_TIMEOUT_MS', 2000, 50, 60000),
      retryBudgetMs: integer('KVS_RETRY_BUDGET_MS', DEFAULT_KVS_RETRY_BUDGET_MS, 50, 60000),
      endpointCacheTtlSeconds: integer('ENDPOINT_CACHE_TTL_SECONDS', 1500, 1, MAX_ENDPOINT_TTL_MS / 1000),
      endpointCacheMaxEntries: integer('ENDPOINT_CACHE_MAX_ENTRIES', 1000, 1, 1_000_000),
      ...(endpointCacheTableName !== undefined ? { endpointCacheTableName } : {}),
      streamListCacheTtlSeconds: integer('STREAM_LIST_CACHE_TTL_SECONDS', 30, 0, 3600),
    },
    http: {
      allowedOrigins: (list('ALLOWED_ORIGINS') ?? []).map(origin),
      maxBodyBytes: integer('MAX_BODY_BYTES', MAX_REQUEST_BODY_BYTES, 1, 1_048_576),
    },
    playback: {
      liveMaxFragments: integer(
        'LIVE_MAX_FRAGMENTS',
        DEFAULT_LIVE_MAX_FRAGMENTS,
        LIVE_MAX_FRAGMENTS_RANGE.min,
        LIVE_MAX_FRAGMENTS_RANGE.max,
      ),
    },
    ...(admission ? { admission } : {}),
    ...(sessions ? { sessions } : {}),
    powertools: {
      serviceName: read('POWERTOOLS_SERVICE_NAME') ?? 'kvs-url-vending',
      metricsNamespace: read('POWERTOOLS_METRICS_NAMESPACE') ?? 'KvsUrlVending',
      logLevel,
    },
  };
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${name} must be an http(s) URL.`);
  }
  return value;
}

function secretArn(value: string): string {
  if (!/^arn:[\w-]+:secretsmanager:[\w-]+:\d{12}:secret:.+$/.test(value)) {
    throw new ConfigError('JWT_SECRET_ARN must be a Secrets Manager secret ARN.');
  }
  return value;
}

/** CORS compares origins byte for byte, so only a bare `scheme://host[:port]` can ever match; `*` is refused. */
function origin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value) {
    throw new ConfigError(
      'ALLOWED_ORIGINS must be a comma-separated list of exact origins (scheme://host[:port]).',
    );
  }
  return value;
}
