import {
  MIN_CLIP_URL_SECONDS,
  type ImageError,
  type ImageFormat,
  type TimestampSource,
} from '../../contract';
import { callerKey, type MediaAdmission } from '../admission';
import { ForbiddenError } from '../errors';
import type { Caller, Revocation } from '../model';
import { accessOf, type Clock, type GrantStore } from '../ports';
import { applyRevocations } from '../revocations';
import { assertStreamName } from '../vend-playback-url';
import { authorizeMedia, mediaUrlSeconds, type MediaDecision } from './authorize-media';
import { collectImages } from './images';
import { makeClip } from './make-clip';
import type { ArchiveRange, KvsMediaPort, MediaStore, StoredClip } from './ports';
import { validateClipRequest, validateImagesRequest } from './validate-media-request';

export interface MediaSettings {
  /** The longest clip (seconds): what reliably fits in API Gateway's 29 s with margin. */
  readonly maxClipSeconds: number;
  /** The largest clip (bytes). */
  readonly maxClipBytes: number;
  /** The longest a clip URL lives, whatever is asked (and never longer than the grant allows). */
  readonly clipUrlMaxSeconds: number;
  /** How long image URLs live (when an answer is too large for inline images). */
  readonly imageUrlSeconds: number;
  /** Images are answered inline (base64) while their encoded size stays within this; beyond, as URLs. */
  readonly inlineImagesMaxBytes: number;
  /**
   * How long making a clip or the images may take, KVS and storage included: their deadline, and the
   * margin by which a URL is sure to end before the grant's notAfter.
   */
  readonly budgetMs: number;
}

export interface MediaDeps {
  readonly grants: GrantStore;
  readonly kvs: KvsMediaPort;
  readonly store: MediaStore;
  readonly clock: Clock;
  /** The clip and images limits, checked once the request is authorized and before KVS is called. */
  readonly admission?: MediaAdmission;
  readonly settings: MediaSettings;
}

export interface MediaInput {
  readonly caller: Caller;
  readonly streamName: string;
  readonly body: unknown;
}

/** A clip's download URL. `url` is a bearer credential: never log or store it. */
export interface ClipUrlResult {
  readonly url: string;
  readonly stream: string;
  /** The footage the clip holds (epoch ms), in `timestampSource` timestamps. */
  readonly start: number;
  readonly end: number;
  readonly timestampSource: TimestampSource;
  readonly expiresAt: number;
  readonly expiresInSeconds: number;
  readonly contentType: string;
  readonly bytes: number;
  /** Served from the clip this caller had stored for the same range. */
  readonly reused: boolean;
  readonly grantPrincipal: string;
}

export interface ImageEntry {
  /** Epoch ms. */
  readonly timestamp: number;
  /** Base64 of the picture (inline answers). */
  readonly data?: string;
  /** A presigned URL of the picture (large answers): a bearer credential. */
  readonly url?: string;
  readonly error?: ImageError;
}

export interface ImagesResult {
  readonly stream: string;
  readonly format: ImageFormat;
  readonly images: readonly ImageEntry[];
  /** When the image URLs stop working (URL answers only). */
  readonly expiresAt?: number;
  readonly expiresInSeconds?: number;
  readonly delivery: 'inline' | 'url';
  readonly grantPrincipal: string;
}

const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = { JPEG: 'image/jpeg', PNG: 'image/png' };
/** Image uploads run this many at a time. */
const UPLOAD_CONCURRENCY = 8;

/** `20261125T120000Z`: a timestamp for a file name. */
function compactTime(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * The URL's lifetime settled when it is signed: what the grant gives then (its maximum, ending before its
 * notAfter), and no longer than the object lives. The URL is signed here, so no slack is needed.
 */
function settleUrlSeconds(
  decision: MediaDecision,
  requestedSeconds: number,
  now: number,
  objectExpiresAt: number,
): number {
  return Math.min(
    mediaUrlSeconds(decision.grant, requestedSeconds, now),
    Math.floor((objectExpiresAt - now) / 1000),
  );
}

/**
 * Vends a download URL of a clip. The order is the security contract, as for playback: stream name,
 * body (with the longest clip), grants and capability (CLIP, the archive window, producer timestamps,
 * time left before notAfter), admission; only then the store and KVS. The same clip asked again by the
 * same caller is served from the stored object while it outlives the URL; never another caller's.
 */
export async function vendClipUrl(deps: MediaDeps, input: MediaInput): Promise<ClipUrlResult> {
  const { settings, clock } = deps;
  assertStreamName(input.streamName);
  const request = validateClipRequest(input.body, clock, settings.maxClipSeconds);
  const access = await accessOf(deps.grants, input.caller.principals);
  const now = clock.now();
  // A revoked caller is refused here, as for playback; a revoked group's grants stop counting.
  const caller = revokedOrNot(input.caller, access.revocations, now);
  const requestedSeconds = Math.min(request.expiresInSeconds, settings.clipUrlMaxSeconds);
  const decision = authorizeMedia({
    caller,
    grants: access.grants,
    scope: {
      streamName: input.streamName,
      capability: 'CLIP',
      start: request.start,
      timestampSource: request.timestampSource,
    },
    now,
    requestedSeconds,
    urlMadeBy: now + settings.budgetMs,
  });
  await deps.admission?.admit('clip', caller, input.streamName);

  const range: ArchiveRange = {
    streamName: input.streamName,
    timestampSource: request.timestampSource,
    start: request.start,
    end: request.end,
  };
  const identity = { owner: callerKey(caller), range };
  const lifetimeMs = deps.store.objectLifetimeMs;
  const found = await deps.store.findClip(identity);
  // A stored clip is reused only while it outlives the URL about to be made.
  const reusable =
    found !== undefined && found.storedAt + lifetimeMs >= now + settings.budgetMs + requestedSeconds * 1000;
  let stored: StoredClip;
  if (found && reusable) {
    stored = found;
  } else {
    const clip = await makeClip(deps.kvs, range, {
      clock,
      deadline: now + settings.budgetMs,
      maxBytes: settings.maxClipBytes,
    });
    stored = await deps.store.putClip(identity, clip.bytes, { start: clip.start, end: clip.end });
  }

  const madeAt = clock.now();
  const expiresInSeconds = settleUrlSeconds(decision, requestedSeconds, madeAt, stored.storedAt + lifetimeMs);
  if (expiresInSeconds < MIN_CLIP_URL_SECONDS) throw new ForbiddenError('No grant allows this request.');
  const url = await deps.store.presignGet(
    stored,
    expiresInSeconds,
    `${input.streamName}-${compactTime(stored.start)}.mp4`,
  );
  return {
    url,
    stream: input.streamName,
    start: stored.start,
    end: stored.end,
    timestampSource: request.timestampSource,
    expiresAt: Math.floor(madeAt / 1000) * 1000 + expiresInSeconds * 1000,
    expiresInSeconds,
    contentType: stored.contentType,
    bytes: stored.bytes,
    reused: found !== undefined && reusable,
    grantPrincipal: decision.grantPrincipal,
  };
}

/**
 * Vends the images of a range, in the same order of checks as clips (capability IMAGES). Small answers
 * carry the pictures inline (base64); once they would pass `inlineImagesMaxBytes`, every picture is stored
 * and answered as a presigned URL instead, so an answer stays far below Lambda's 6 MB.
 */
export async function vendImages(deps: MediaDeps, input: MediaInput): Promise<ImagesResult> {
  const { settings, clock } = deps;
  assertStreamName(input.streamName);
  const request = validateImagesRequest(input.body);
  const access = await accessOf(deps.grants, input.caller.principals);
  const now = clock.now();
  const caller = revokedOrNot(input.caller, access.revocations, now);
  const decision = authorizeMedia({
    caller,
    grants: access.grants,
    scope: {
      streamName: input.streamName,
      capability: 'IMAGES',
      start: request.start,
      timestampSource: request.timestampSource,
    },
    now,
    requestedSeconds: settings.imageUrlSeconds,
    urlMadeBy: now + settings.budgetMs,
  });
  await deps.admission?.admit('images', caller, input.streamName);

  const images = await collectImages(deps.kvs, input.streamName, request, {
    clock,
    deadline: now + settings.budgetMs,
  });
  const inlineBytes = images.reduce((sum, image) => sum + (image.content?.length ?? 0), 0);
  const base = {
    stream: input.streamName,
    format: request.format,
    grantPrincipal: decision.grantPrincipal,
  };
  if (inlineBytes <= settings.inlineImagesMaxBytes) {
    return {
      ...base,
      delivery: 'inline',
      images: images.map((image) => ({
        timestamp: image.timestamp,
        ...(image.content !== undefined ? { data: image.content } : {}),
        ...(image.error !== undefined ? { error: image.error } : {}),
      })),
    };
  }

  const contentType = CONTENT_TYPES[request.format];
  const stored = await mapLimited(images, UPLOAD_CONCURRENCY, (image) =>
    image.content === undefined
      ? Promise.resolve(undefined)
      : deps.store.putImage(image.content, contentType),
  );
  const madeAt = clock.now();
  const earliestStored = Math.min(...stored.map((object) => object?.storedAt ?? madeAt));
  const expiresInSeconds = settleUrlSeconds(
    decision,
    settings.imageUrlSeconds,
    madeAt,
    earliestStored + deps.store.objectLifetimeMs,
  );
  if (expiresInSeconds < MIN_CLIP_URL_SECONDS) throw new ForbiddenError('No grant allows this request.');
  const entries = await Promise.all(
    images.map(async (image, index) => {
      const object = stored[index];
      return {
        timestamp: image.timestamp,
        ...(object
          ? {
              url: await deps.store.presignGet(object, expiresInSeconds),
            }
          : {}),
        ...(image.error !== undefined ? { error: image.error } : {}),
      };
    }),
  );
  return {
    ...base,
    delivery: 'url',
    images: entries,
    expiresAt: Math.floor(madeAt / 1000) * 1000 + expiresInSeconds * 1000,
    expiresInSeconds,
  };
}

/** `map` with at most `limit` calls in flight, results in order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The caller as its revocations leave it; a revoked caller gets the very refusal of an ungranted request. */
function revokedOrNot(caller: Caller, revocations: readonly Revocation[], now: number): Caller {
  try {
    return applyRevocations(caller, revocations, now);
  } catch (error) {
    if (error instanceof ForbiddenError) throw new ForbiddenError('No grant allows this request.');
    throw error;
  }
}
