import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoDbGrantStore } from '../adapters/grants/dynamodb-grant-store';
import { createJwtVerifier } from '../adapters/jwt-verifier';
import { secretLoader } from '../adapters/signing-secret';
import { createKvsAdapter } from '../adapters/kvs/kvs-adapter';
import { createSharedEndpointCache } from '../adapters/kvs/shared-endpoint-cache';
import { createAdmissionTable } from '../adapters/admission/admission-table';
import { createDynamoDbActivityTracker } from '../adapters/admission/activity-tracker';
import { createDynamoDbRateLimiter } from '../adapters/admission/rate-limiter';
import { createDynamoDbSessionCounter } from '../adapters/admission/session-counter';
import { createAdmission } from '../core/admission';
import { createStaticGrantStore, loadGrantsFile } from '../adapters/grants/static-grant-store';
import type { GrantStore } from '../core/ports';
import { ANSWER_TIME_MS, parseConfig } from './config';
import { createHandler } from './create-handler';

export { createHandler } from './create-handler';
export type { VendHandler, VendHandlerDeps } from './create-handler';

// Everything below runs once per cold start: a bad setting fails here, and clients are reused.
const config = parseConfig(process.env);

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
      : { secret: secretLoader({ secretId: config.jwt.keySource.arn, region: config.region }) }),
});

const grants: GrantStore =
  config.grants.source.kind === 'table'
    ? createDynamoDbGrantStore({
        tableName: config.grants.source.tableName,
        region: config.region,
        ...(config.grants.source.endpoint !== undefined ? { endpoint: config.grants.source.endpoint } : {}),
        cacheTtlMs: config.grants.cacheTtlSeconds * 1000,
        onInvalidRecord: (principal) => logger.warn('Ignored an invalid grant record', { principal }),
      })
    : createStaticGrantStore(loadGrantsFile(config.grants.source.path));

const SHARED_ENDPOINT_METRICS = {
  hit: 'SharedEndpointHits',
  waited: 'SharedEndpointHits',
  fetched: 'SharedEndpointFetches',
  fallback: 'SharedEndpointFallbacks',
  invalidated: 'SharedEndpointInvalidations',
} as const;

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

const admission = config.admission;
const admissionTable = admission
  ? createAdmissionTable({
      tableName: admission.tableName,
      region: config.region,
      ...(config.dynamoDbEndpoint !== undefined ? { endpoint: config.dynamoDbEndpoint } : {}),
      timeoutMs: admission.timeoutMs,
    })
  : undefined;

export const handler = createHandler({
  verifier,
  grants,
  kvs,
  ...(admission && admissionTable
    ? {
        admission: createAdmission({
          limiter: createDynamoDbRateLimiter({
            table: admissionTable,
            onContention: () => metrics.addMetric('AdmissionContention', MetricUnit.Count, 1),
          }),
          activity: createDynamoDbActivityTracker({ table: admissionTable }),
          callerLimit: admission.callerLimit,
          streamLimit: admission.streamLimit,
          streamShareWindowMs: admission.streamShareWindowSeconds * 1000,
          clock: { now: () => Date.now() },
          timeoutMs: admission.timeoutMs,
        }),
        ...(admission.sessionCap > 0
          ? {
              sessions: {
                counter: createDynamoDbSessionCounter({ table: admissionTable }),
                maxPerUser: admission.sessionCap,
              },
            }
          : {}),
      }
    : {}),
  logger,
  metrics,
  groupsClaims: config.jwt.groupsClaims,
  allowedOrigins: config.http.allowedOrigins,
  maxBodyBytes: config.http.maxBodyBytes,
  liveMaxFragments: config.playback.liveMaxFragments,
  // KVS starts a session's clock when it answers, at worst at the end of the retry budget.
  sessionStartSlackMs: config.kvs.retryBudgetMs,
  // Room to give a session slot back (one admission table call) and to answer, before Lambda's timeout.
  answerMarginMs: (admission?.timeoutMs ?? 0) + ANSWER_TIME_MS,
});
