/**
 * Configuration of the media function (clips and images) beyond what every function reads (`config.ts`):
 * the bucket, the secret clip keys are derived with, the longest clip, URL lifetimes and the clip and
 * images limits. Read once at cold start, like `parseConfig`: a missing or bad setting fails the cold
 * start with a message naming the variable, never its value.
 */
import { MAX_CLIP_URL_SECONDS, MIN_CLIP_URL_SECONDS } from '../contract';
import type { MediaLimits } from '../core/admission';
import type { MediaSettings } from '../core/media/vend-media';

/** Objects expire by the bucket's lifecycle this many days after they are stored (S3 counts in days). */
export const MEDIA_OBJECT_EXPIRY_DAYS = 1;
/** The prefix every object of the function goes under; its permissions name it alone. */
export const MEDIA_KEY_PREFIX = 'media/';

/**
 * The longest clip unless CLIP_MAX_SECONDS says otherwise: what reliably fits in API Gateway's 29 s with
 * margin, measured by `npm run bench -- clip` (README, "Clips"), together with the size limit below:
 * 300 s of a 2 Mbit/s camera is 75 MB.
 */
export const DEFAULT_MAX_CLIP_SECONDS = 300;
/** The media function gives up on a clip or images after this long, well inside API Gateway's 29 s. */
export const DEFAULT_MEDIA_BUDGET_MS = 20_000;
/**
 * The media function's timeout as deployed: past the budget (20 s) with room to answer, below API
 * Gateway's 29 s, after which the caller gets 504 whatever the function does.
 */
export const MEDIA_FUNCTION_TIMEOUT_SECONDS = 28;
/** Memory of the media function as deployed: a clip is held twice while it is joined (parts, then the file). */
export const MEDIA_FUNCTION_MEMORY_MB = 1024;

export const MEDIA_DEFAULTS = {
  maxClipSeconds: DEFAULT_MAX_CLIP_SECONDS,
  /**
   * A clip costs by its bytes (fetched from KVS, joined, stored): 100 MB (KVS's own limit of one GetClip
   * answer) took about 5-7 s end to end locally (`npm run bench -- clip`), half the budget or less, the rest
   * margin for KVS over the network. 300 s of a 2 Mbit/s camera is 75 MB; of a 4 Mbit/s one, 150 MB: refused.
   */
  maxClipMegabytes: 100,
  clipUrlMaxSeconds: 900,
  imageUrlSeconds: 300,
  /** Well below Lambda's 6 MB answer limit, JSON and headers included. */
  inlineImagesMaxBytes: 1_048_576,
  budgetMs: DEFAULT_MEDIA_BUDGET_MS,
  kvsCallTimeoutMs: 10_000,
  /** Per minute and burst: a clip costs KVS a ListFragments and a GetClip per 200 fragments. */
  clipLimits: {
    caller: { perMinute: 6, burst: 3 },
    stream: { perMinute: 60, burst: 2 },
  },
  /** GetImages allows 5 calls per second per stream; a request may take several. */
  imagesLimits: {
    caller: { perMinute: 30, burst: 5 },
    stream: { perMinute: 120, burst: 3 },
  },
} as const;

export type MediaKeySecret =
  { readonly kind: 'secret'; readonly secret: string } | { readonly kind: 'secretArn'; readonly arn: string };

export interface MediaConfig {
  readonly bucket: string;
  /** S3_ENDPOINT: an S3-compatible server (the local stack); AWS otherwise. */
  readonly s3Endpoint?: string;
  readonly keySecret: MediaKeySecret;
  readonly settings: MediaSettings;
  readonly kvsCallTimeoutMs: number;
  /** The clip and images limits (used when admission is on, ADMISSION_TABLE_NAME). */
  readonly limits: { readonly clip: MediaLimits; readonly images: MediaLimits };
}

class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseMediaConfig(env: Env): MediaConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number(value);
  };
  const limit = (name: string, fallback: { perMinute: number; burst: number }) => ({
    ratePerSecond: integer(`${name}_PER_MINUTE`, fallback.perMinute, 1, 60_000) / 60,
    burst: integer(`${name}_BURST`, fallback.burst, 1, 10_000),
  });

  const bucket = read('MEDIA_BUCKET_NAME');
  if (bucket === undefined) throw new ConfigError('MEDIA_BUCKET_NAME is required.');
  const secret = read('MEDIA_KEY_SECRET');
  const secretArn = read('MEDIA_KEY_SECRET_ARN');
  if ((secret === undefined) === (secretArn === undefined)) {
    throw new ConfigError('Set exactly one of MEDIA_KEY_SECRET_ARN, MEDIA_KEY_SECRET.');
  }
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('MEDIA_KEY_SECRET must be at least 32 characters.');
  }
  if (secretArn !== undefined && !/^arn:[\w-]+:secretsmanager:[\w-]+:\d{12}:secret:.+$/.test(secretArn)) {
    throw new ConfigError('MEDIA_KEY_SECRET_ARN must be a Secrets Manager secret ARN.');
  }
  const s3Endpoint = read('S3_ENDPOINT');
  if (s3Endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(s3Endpoint)) {
    throw new ConfigError('S3_ENDPOINT must be an http(s) URL.');
  }
  const defaults = MEDIA_DEFAULTS;
  return {
    bucket,
    ...(s3Endpoint !== undefined ? { s3Endpoint } : {}),
    keySecret: secret !== undefined ? { kind: 'secret', secret } : { kind: 'secretArn', arn: secretArn! },
    settings: {
      maxClipSeconds: integer('CLIP_MAX_SECONDS', defaults.maxClipSeconds, 1, 3600),
      maxClipBytes: integer('CLIP_MAX_MEGABYTES', defaults.maxClipMegabytes, 1, 4096) * 1024 * 1024,
      clipUrlMaxSeconds: integer(
        'CLIP_URL_MAX_SECONDS',
        defaults.clipUrlMaxSeconds,
        MIN_CLIP_URL_SECONDS,
        MAX_CLIP_URL_SECONDS,
      ),
      imageUrlSeconds: integer(
        'IMAGE_URL_SECONDS',
        defaults.imageUrlSeconds,
        MIN_CLIP_URL_SECONDS,
        MAX_CLIP_URL_SECONDS,
      ),
      inlineImagesMaxBytes: integer('IMAGES_INLINE_MAX_BYTES', defaults.inlineImagesMaxBytes, 0, 4_194_304),
      budgetMs: integer('MEDIA_BUDGET_MS', defaults.budgetMs, 1000, 28_000),
    },
    kvsCallTimeoutMs: integer('MEDIA_KVS_CALL_TIMEOUT_MS', defaults.kvsCallTimeoutMs, 100, 28_000),
    limits: {
      clip: {
        caller: limit('ADMISSION_CLIP', defaults.clipLimits.caller),
        stream: limit('ADMISSION_CLIP_STREAM', defaults.clipLimits.stream),
      },
      images: {
        caller: limit('ADMISSION_IMAGES', defaults.imagesLimits.caller),
        stream: limit('ADMISSION_IMAGES_STREAM', defaults.imagesLimits.stream),
      },
    },
  };
}
