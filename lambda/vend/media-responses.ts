import type { ClipUrlResult, ImagesResult } from '../core/media/vend-media';

/** Epoch ms as RFC 3339 in UTC, without a fractional part when there is none. */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.000Z$/, 'Z');
}

/** The answer of `POST .../clip-url`. */
export function toClipBody(result: ClipUrlResult): Record<string, unknown> {
  return {
    url: result.url,
    stream: result.stream,
    start: rfc3339(result.start),
    end: rfc3339(result.end),
    timestampSource: result.timestampSource,
    expiresAt: rfc3339(result.expiresAt),
    expiresInSeconds: result.expiresInSeconds,
    contentType: result.contentType,
    bytes: result.bytes,
  };
}

/** The answer of `POST .../images`: per image its picture (`data` or `url`) or its `error`. */
export function toImagesBody(result: ImagesResult): Record<string, unknown> {
  return {
    stream: result.stream,
    format: result.format,
    ...(result.expiresAt !== undefined ? { expiresAt: rfc3339(result.expiresAt) } : {}),
    ...(result.expiresInSeconds !== undefined ? { expiresInSeconds: result.expiresInSeconds } : {}),
    images: result.images.map((image) => ({
      timestamp: rfc3339(image.timestamp),
      ...(image.data !== undefined ? { data: image.data } : {}),
      ...(image.url !== undefined ? { url: image.url } : {}),
      ...(image.error !== undefined ? { error: image.error } : {}),
    })),
  };
}

/** What the audit line of a clip says: never its URL, nor where it is stored. */
export function clipAudit(result: ClipUrlResult): Record<string, unknown> {
  return {
    grantPrincipal: result.grantPrincipal,
    stream: result.stream,
    window: { start: rfc3339(result.start), end: rfc3339(result.end) },
    timestampSource: result.timestampSource,
    bytes: result.bytes,
    reused: result.reused,
    expiresAt: rfc3339(result.expiresAt),
    expiresInSeconds: result.expiresInSeconds,
  };
}

/** What the audit line of an images answer says: counts, never a URL or a picture. */
export function imagesAudit(result: ImagesResult): Record<string, unknown> {
  const first = result.images[0];
  const last = result.images[result.images.length - 1];
  return {
    grantPrincipal: result.grantPrincipal,
    stream: result.stream,
    ...(first && last ? { window: { start: rfc3339(first.timestamp), end: rfc3339(last.timestamp) } } : {}),
    format: result.format,
    delivery: result.delivery,
    images: result.images.length,
    imageErrors: result.images.filter((image) => image.error !== undefined).length,
    ...(result.expiresAt !== undefined ? { expiresAt: rfc3339(result.expiresAt) } : {}),
  };
}
