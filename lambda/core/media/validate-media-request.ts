import type * as z from 'zod/mini';
import {
  CLIP_URL_REQUEST,
  IMAGES_REQUEST,
  MAX_IMAGES_RANGE_SECONDS,
  type BodyOf,
  type BodySchema,
  type ImageFormat,
  type TimestampSource,
} from '../../contract';
import { bodySchemaOf, issueDetails } from '../body-schema';
import { InvalidRequestError, type ValidationDetail } from '../errors';
import type { Clock } from '../ports';

const INVALID_MESSAGE = 'The request body is invalid.';

/** A validated clip-url request, defaults applied. Times are epoch ms. */
export interface ClipRequest {
  readonly start: number;
  readonly end: number;
  readonly timestampSource: TimestampSource;
  /** What the caller asked for, before clamping to the grant and the configured maximum. */
  readonly expiresInSeconds: number;
}

/** A validated images request, defaults applied. Times are epoch ms. */
export interface ImagesRequest {
  readonly start: number;
  readonly end: number;
  readonly intervalSeconds: number;
  readonly timestampSource: TimestampSource;
  readonly format: ImageFormat;
  readonly width?: number;
  readonly height?: number;
  readonly maxImages: number;
}

const clipBodySchema = bodySchemaOf(CLIP_URL_REQUEST);
const imagesBodySchema = bodySchemaOf(IMAGES_REQUEST);

/** The body as its schema reads it, or every problem at once (unknown fields, types, ranges, required ones). */
function parseBody<S extends BodySchema>(
  body: unknown,
  schema: S,
  parser: z.ZodMiniType<BodyOf<S>>,
): BodyOf<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(INVALID_MESSAGE, [{ field: 'body', issue: 'must be a JSON object' }]);
  }
  const missing: ValidationDetail[] = (schema.required ?? [])
    .filter((field) => (body as Record<string, unknown>)[field] === undefined)
    .map((field) => ({ field, issue: 'required' }));
  const parsed = parser.safeParse(body);
  // A missing required field is said once, as `required` (the schema's own issue for it says the same).
  const missingNames = new Set(missing.map((detail) => detail.field));
  const issues = parsed.success
    ? []
    : parsed.error.issues.filter(
        (issue) => !(issue.path.length === 1 && missingNames.has(String(issue.path[0]))),
      );
  const details = [...missing, ...issues.flatMap(issueDetails)];
  if (details.length > 0 || !parsed.success) throw new InvalidRequestError(INVALID_MESSAGE, details);
  return parsed.data;
}

/**
 * Validates the body of `POST .../clip-url` with the rules of GetClip (end after start and in the past
 * with server timestamps) and the deployment's longest clip, which a longer range is refused with, by
 * name: a clip is made while the caller waits, and no more than that fits reliably in the time API
 * Gateway gives.
 */
export function validateClipRequest(body: unknown, clock: Clock, maxClipSeconds: number): ClipRequest {
  const data = parseBody(body, CLIP_URL_REQUEST, clipBodySchema);
  const start = Date.parse(data.start!);
  const end = Date.parse(data.end!);
  const timestampSource = data.timestampSource ?? CLIP_URL_REQUEST.fields.timestampSource.default;
  const details: ValidationDetail[] = [];
  if (end <= start) details.push({ field: 'end', issue: 'must be after start' });
  if (timestampSource === 'SERVER' && end > clock.now()) {
    details.push({ field: 'end', issue: 'must be in the past when timestampSource is SERVER' });
  }
  if (details.length > 0) throw new InvalidRequestError(INVALID_MESSAGE, details);
  if (end - start > maxClipSeconds * 1000) {
    throw new InvalidRequestError(
      `A clip may be at most ${maxClipSeconds} seconds long: ask for a shorter range, or several.`,
      [{ field: 'end', issue: `must be at most ${maxClipSeconds} seconds after start` }],
    );
  }
  return {
    start,
    end,
    timestampSource,
    expiresInSeconds: data.expiresInSeconds ?? CLIP_URL_REQUEST.fields.expiresInSeconds.default,
  };
}

/**
 * Validates the body of `POST .../images` with the rules of GetImages (width and height both or neither)
 * and the longest range one request answers.
 */
export function validateImagesRequest(body: unknown): ImagesRequest {
  const data = parseBody(body, IMAGES_REQUEST, imagesBodySchema);
  const fields = IMAGES_REQUEST.fields;
  const start = Date.parse(data.start!);
  const end = Date.parse(data.end!);
  const details: ValidationDetail[] = [];
  if (end < start) details.push({ field: 'end', issue: 'must not be before start' });
  else if (end - start > MAX_IMAGES_RANGE_SECONDS * 1000) {
    details.push({ field: 'end', issue: `must be at most ${MAX_IMAGES_RANGE_SECONDS} seconds after start` });
  }
  if ((data.width === undefined) !== (data.height === undefined)) {
    details.push({
      field: data.width === undefined ? 'width' : 'height',
      issue: 'width and height go together (both or neither)',
    });
  }
  if (details.length > 0) throw new InvalidRequestError(INVALID_MESSAGE, details);
  return {
    start,
    end,
    intervalSeconds: data.intervalSeconds!,
    timestampSource: data.timestampSource ?? fields.timestampSource.default,
    format: data.format ?? fields.format.default,
    maxImages: data.maxImages ?? fields.maxImages.default,
    ...(data.width !== undefined ? { width: data.width } : {}),
    ...(data.height !== undefined ? { height: data.height } : {}),
  };
}
