import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createKvsMediaAdapter } from '../adapters/kvs/media-adapter';
import { createS3MediaStore } from '../adapters/s3/s3-media-store';
import { secretLoader } from '../adapters/signing-secret';
import { createMediaAdmission } from '../core/admission';
import { vendClipUrl, vendImages, type MediaDeps } from '../core/media/vend-media';
import { parseConfig } from './config';
import { createHandler } from './create-handler';
import { MEDIA_KEY_PREFIX, MEDIA_OBJECT_EXPIRY_DAYS, parseMediaConfig } from './media-config';
import { wireFunction } from './wiring';

// Everything below runs once per cold start: a bad setting fails here, and clients are reused.
const config = parseConfig(process.env);
const mediaConfig = parseMediaConfig(process.env);
const wiring = wireFunction(config);

const store = createS3MediaStore({
  bucket: mediaConfig.bucket,
  region: config.region,
  ...(mediaConfig.s3Endpoint !== undefined ? { endpoint: mediaConfig.s3Endpoint } : {}),
  keyPrefix: MEDIA_KEY_PREFIX,
  keySecret:
    mediaConfig.keySecret.kind === 'secret'
      ? mediaConfig.keySecret.secret
      : secretLoader({
          secretId: mediaConfig.keySecret.arn,
          region: config.region,
          unavailable: 'The media key secret is unavailable.',
        }),
  objectLifetimeMs: MEDIA_OBJECT_EXPIRY_DAYS * 24 * 60 * 60 * 1000,
  callTimeoutMs: mediaConfig.settings.budgetMs,
});

const kvs = createKvsMediaAdapter({
  region: config.region,
  ...(config.kvs.endpoint !== undefined ? { endpoint: config.kvs.endpoint } : {}),
  callTimeoutMs: mediaConfig.kvsCallTimeoutMs,
  endpointCacheTtlMs: config.kvs.endpointCacheTtlSeconds * 1000,
  endpointCacheMaxEntries: config.kvs.endpointCacheMaxEntries,
  onEndpointCacheLookup: (hit) =>
    wiring.metrics.addMetric(hit ? 'EndpointCacheHits' : 'EndpointCacheMisses', MetricUnit.Count, 1),
  onKvsError: () => wiring.metrics.addMetric('KvsErrors', MetricUnit.Count, 1),
});

const deps: MediaDeps = {
  grants: wiring.deps.grants,
  kvs,
  store,
  clock: { now: () => Date.now() },
  settings: mediaConfig.settings,
  ...(wiring.rateLimiter && config.admission
    ? {
        admission: createMediaAdmission({
          limiter: wiring.rateLimiter,
          ...mediaConfig.limits,
          clock: { now: () => Date.now() },
          timeoutMs: config.admission.timeoutMs,
        }),
      }
    : {}),
};

/** The media function: clip download URLs and images (lambda/contract FUNCTION_OF_ACTION). */
export const handler = createHandler({
  ...wiring.deps,
  serves: 'media',
  media: {
    clipUrl: (input) => vendClipUrl(deps, input),
    images: (input) => vendImages(deps, input),
  },
});
