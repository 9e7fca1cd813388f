/**
 * Beyond playback: clips (KVS GetClip, stored as one MP4 and handed out as a presigned download URL) and
 * images (KVS GetImages), under the same grants. What a grant may allow (`capabilities`), what a request
 * body may ask for, and the limits of the KVS API they are held to.
 */
import type { BodySchema } from './request-bodies';
import { TIMESTAMP_SOURCES } from './playback';

/**
 * What a grant lets its holder do with a stream: play it (session URLs, the grant's playback modes and
 * protocols), download clips of its archive, get images of its archive. A grant without `capabilities`
 * allows PLAY only, as every grant did before clips and images existed.
 */
export const CAPABILITIES = ['PLAY', 'CLIP', 'IMAGES'] as const;
export type Capability = (typeof CAPABILITIES)[number];
/** What a grant without `capabilities` allows. */
export const DEFAULT_CAPABILITIES: readonly Capability[] = ['PLAY'];

export const IMAGE_FORMATS = ['JPEG', 'PNG'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** How long a clip's download URL may live (seconds): S3 presigned URLs, held to the grant as sessions are. */
export const MIN_CLIP_URL_SECONDS = 60;
export const MAX_CLIP_URL_SECONDS = 43_200;
export const DEFAULT_CLIP_URL_SECONDS = 300;

/** GetImages: a sampling interval of at most the range KVS takes in one call. */
export const MAX_IMAGE_INTERVAL_SECONDS = 300;
/** GetImages: the largest image KVS renders. */
export const MAX_IMAGE_WIDTH = 3840;
export const MAX_IMAGE_HEIGHT = 2160;
/** Images one request answers at most (KVS: MaxResults 1..100). */
export const MAX_IMAGES = 100;
export const DEFAULT_MAX_IMAGES = 25;
/**
 * The longest range of one images request. KVS takes at most 300 s per GetImages call, so a range is asked
 * for in windows of 300 s: an hour is at most 12 windows (plus pages of 25 images).
 */
export const MAX_IMAGES_RANGE_SECONDS = 3600;

/**
 * The body of `POST .../clip-url`. `start` and `end` bound the clip (KVS ClipTimestampRange: fragments
 * starting within them); the longest clip is a setting of the deployment, checked by the function.
 */
export const CLIP_URL_REQUEST = {
  name: 'ClipUrlRequest',
  fields: {
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    timestampSource: { type: 'string', enum: TIMESTAMP_SOURCES, default: 'SERVER' },
    expiresInSeconds: {
      type: 'integer',
      minimum: MIN_CLIP_URL_SECONDS,
      maximum: MAX_CLIP_URL_SECONDS,
      default: DEFAULT_CLIP_URL_SECONDS,
    },
  },
  required: ['start', 'end'],
} as const satisfies BodySchema;

/** The body of `POST .../images`: one image every `intervalSeconds` from `start` to `end`, both included. */
export const IMAGES_REQUEST = {
  name: 'ImagesRequest',
  fields: {
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    intervalSeconds: { type: 'integer', minimum: 1, maximum: MAX_IMAGE_INTERVAL_SECONDS },
    timestampSource: { type: 'string', enum: TIMESTAMP_SOURCES, default: 'SERVER' },
    format: { type: 'string', enum: IMAGE_FORMATS, default: 'JPEG' },
    width: { type: 'integer', minimum: 1, maximum: MAX_IMAGE_WIDTH },
    height: { type: 'integer', minimum: 1, maximum: MAX_IMAGE_HEIGHT },
    maxImages: { type: 'integer', minimum: 1, maximum: MAX_IMAGES, default: DEFAULT_MAX_IMAGES },
  },
  required: ['start', 'end', 'intervalSeconds'],
} as const satisfies BodySchema;

/** Why KVS gave no picture for one timestamp of an images request (GetImages `Error`). */
export const IMAGE_ERRORS = ['NO_MEDIA', 'MEDIA_ERROR'] as const;
export type ImageError = (typeof IMAGE_ERRORS)[number];
