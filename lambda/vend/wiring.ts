import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoDbGrantStore } from '../adapters/grants/dynamodb-grant-store';
import { createJwtVerifier } from '../adapters/jwt-verifier';
import { createKvsAdapter } from '../adapters/kvs/kvs-adapter';
import { createSharedEndpointCache } from '../adapters/kvs/shared-endpoint-cache';
import { createAdmissionTable } from '../adapters/admission/admission-table';
import { createDynamoDbActivityTracker } from '../adapters/admission/activity-tracker';
import { createDynamoDbRateLimiter } from '../adapters/admission/rate-limiter';
import { createAdmission, type RateLimiter } from '../core/admission';
import { createStaticGrantStore, loadGrantsFile } from '../adapters/grants/static-grant-store';
import { secretLoader } from '../adapters/signing-secret';
import { createDynamoDbSessionLog } from '../adapters/sessions/dynamodb-session-log';
import type { GrantStore } from '../core/ports';
import { ANSWER_TIME_MS, type Config } from './config';
import type { VendHandlerDeps } from './create-handler';

const SHARED_ENDPOINT_METRICS = {
  hit: 'SharedEndpointHits',
  waited: 'SharedEndpointHits',
  fetched: 'SharedEndpointFetches',
  fallback: 'SharedEndpointFallbacks',
  invalidated: 'SharedEndpointInvalidations',
} as const;

/**
 * What both functions (vend and media) build from their configuration at cold start. Both read grants
 * through the same store, so both honour the control epoch (a change made through the admin API counts
 * from the next request) and revocations.
 */
export interface FunctionWiring {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The handler's dependencies: authentication, grants, KVS, admission, HTTP settings. */
  readonly deps: VendHandlerDeps;
  /** The admission table's rate limiter, when admission is on (clip and images limits use it too). */
  readonly rateLimiter?: RateLimiter;
}

/**
 * Builds, once per cold start, the clients and adapters a function of this product needs: the logger and
 * metrics, the JWT verifier, the grant store, the KVS adapter and admission on the admission table.
 */
export function wireFunction(config: Config): FunctionWiring {
  const logger = new Logger({
    serviceName: config.powertools.serviceName,
    logLevel: config.powertools.logLevel,
  });
  const metrics = new Metrics({
    namespace: config.powertools.metricsNamespace,
    serviceName: config.powertools.serviceName,
  });

  const verifier = createJwtVerifier({
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    algorithms: config.jwt.algorithms,
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    maxTokenBytes: config.jwt.maxTokenBytes,
    maxTokenLifetimeSeconds: config.jwt.maxTokenLifetimeSeconds,
    jwksRefetchIntervalSeconds: config.jwt.jwksRefetchIntervalSeconds,
    ...(config.jwt.keySource.kind === 'jwks'
      ? { jwksUrl: config.jwt.keySource.url }
      : config.jwt.keySource.kind === 'secret'
        ? { secret: config.jwt.keySource.secret }
        : {
            secret: secretLoader({
              secretId: config.jwt.keySource.arn,
              region: config.region,
              unavailable: 'The token signing secret is unavailable.',
              dependency: 'signing-secret',
            }),
          }),
  });

  const grants: GrantStore =
    config.grants.source.kind === 'table'
      ? createDynamoDbGrantStore({
          tableName: config.grants.source.tableName,
          region: config.region,
          ...(config.grants.source.endpoint !== undefined ? { endpoint: config.grants.source.endpoint } : {}),
          cacheTtlMs: config.grants.cacheTtlSeconds * 1000,
          // Field names and issues only, never values: a record may hold anything an operator typed.
          // Which record, and why: the operator fixes it with `npm run admin -- grant get/put`.
          onInvalidRecord: (record) =>
            logger.warn('Ignored an invalid grant record', {
              principal: record.principal,
              grantId: record.grantId ?? null,
              reason: record.problems.join('; '),
              problems: record.problems,
            }),
        })
      : createStaticGrantStore(loadGrantsFile(config.grants.source.path));

  const sharedEndpoints =
    config.kvs.endpointCacheTableName !== undefined
      ? createSharedEndpointCache({
          tableName: config.kvs.endpointCacheTableName,
          region: config.region,
          ...(config.dynamoDbEndpoint !== undefined ? { endpoint: config.dynamoDbEndpoint } : {}),
          ttlMs: config.kvs.endpointCacheTtlSeconds * 1000,
          requestTimeoutMs: config.kvs.callTimeoutMs,
          onEvent: (event) => metrics.addMetric(SHARED_ENDPOINT_METRICS[event], MetricUnit.Count, 1),
        })
      : undefined;

  const kvs = createKvsAdapter({
    region: config.region,
    ...(config.kvs.endpoint !== undefined ? { endpoint: config.kvs.endpoint } : {}),
    ...(sharedEndpoints ? { sharedEndpoints } : {}),
    callTimeoutMs: config.kvs.callTimeoutMs,
    retryBudgetMs: config.kvs.retryBudgetMs,
    endpointCacheTtlMs: config.kvs.endpointCacheTtlSeconds * 1000,
    endpointCacheMaxEntries: config.kvs.endpointCacheMaxEntries,
    streamListCacheTtlMs: config.kvs.streamListCacheTtlSeconds * 1000,
    onEndpointCacheLookup: (hit) =>
      metrics.addMetric(hit ? 'EndpointCacheHits' : 'EndpointCacheMisses', MetricUnit.Count, 1),
    onKvsError: () => metrics.addMetric('KvsErrors', MetricUnit.Count, 1),
  });

  const sessionsConfig = config.sessions;
  const sessionLog = sessionsConfig
    ? createDynamoDbSessionLog({
        tableName: sessionsConfig.tableName,
        region: config.region,
        ...(config.dynamoDbEndpoint !== undefined ? { endpoint: config.dynamoDbEndpoint } : {}),
        timeoutMs: sessionsConfig.timeoutMs,
      })
    : undefined;

  const admission = config.admission;
  const admissionTable = admission
    ? createAdmissionTable({
        tableName: admission.tableName,
        region: config.region,
        ...(config.dynamoDbEndpoint !== undefined ? { endpoint: config.dynamoDbEndpoint } : {}),
        timeoutMs: admission.timeoutMs,
      })
    : undefined;
  const rateLimiter = admissionTable
    ? createDynamoDbRateLimiter({
        table: admissionTable,
        onContention: () => metrics.addMetric('AdmissionContention', MetricUnit.Count, 1),
      })
    : undefined;

  const deps: VendHandlerDeps = {
    verifier,
    grants,
    kvs,
    ...(admission && admissionTable && rateLimiter
      ? {
          admission: createAdmission({
            limiter: rateLimiter,
            activity: createDynamoDbActivityTracker({ table: admissionTable }),
            callerLimit: admission.callerLimit,
            streamLimit: admission.streamLimit,
            streamShareWindowMs: admission.streamShareWindowSeconds * 1000,
            clock: { now: () => Date.now() },
            timeoutMs: admission.timeoutMs,
          }),
        }
      : {}),
    ...(sessionLog
      ? {
          sessions: {
            log: sessionLog,
            ...(admission && admission.sessionCap > 0 ? { capPerUser: admission.sessionCap } : {}),
          },
        }
      : {}),
    logger,
    metrics,
    groupsClaims: config.jwt.groupsClaims,
    allowedOrigins: config.http.allowedOrigins,
    maxBodyBytes: config.http.maxBodyBytes,
    liveMaxFragments: config.playback.liveMaxFragments,
    // KVS starts a session's clock when it answers: at worst once the session record is written and the
    // retry budget is spent.
    sessionStartSlackMs: config.kvs.retryBudgetMs + (sessionsConfig?.timeoutMs ?? 0),
    // Room to take a session's record back (one session log call) and to answer, before Lambda's timeout.
    answerMarginMs: (sessionsConfig?.timeoutMs ?? 0) + ANSWER_TIME_MS,
  };
  return { logger, metrics, deps, ...(rateLimiter ? { rateLimiter } : {}) };
}
