/**
 * GetImages: one image per sampling interval from StartTimestamp to EndTimestamp (both inclusive),
 * each the still of the stream's clip at that moment, scaled and encoded as asked. A time without an
 * archived fragment answers `NO_MEDIA`; media the emulator cannot picture answers `MEDIA_ERROR` (a codec
 * other than H.264/H.265, or a user's own MP4, which has no pre-rendered stills).
 */
import { createHash } from 'node:crypto';
import type { EmulatorState } from './emulator-state';
import {
  enumValue,
  findStream,
  integerValue,
  optionalObject,
  optionalString,
  streamReference,
  timestampValue,
  type Input,
  type StreamReference,
} from './request-input';
import { clientLimitExceeded, invalidArgument, ServiceError } from './service-error';
import type { Base64Image, ImageFormat, ImageRequest } from './still-renderer';
import type { EmulatedStream } from './stream-registry';
import { dedupe, sourceTimeMs, type ArchivedFragment, type TimestampSource } from './timeline';

const SELECTOR_TYPES = ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'] as const;
const FORMATS = ['JPEG', 'PNG'] as const;
const FORMAT_CONFIG_KEYS = ['JPEGQuality'] as const;
const SUPPORTED_VIDEO = ['V_MPEG/ISO/AVC', 'V_MPEG/ISO/HEVC'];

const MAX_RANGE_MS = 300_000;
const MIN_SAMPLING_INTERVAL_MS = 200;
/** The service documents no default; its own examples use 3 s (its former minimum). */
const DEFAULT_SAMPLING_INTERVAL_MS = 3000;
/** The service's page: "Providing a MaxResults greater than this value will result in a page size of 25". */
const MAX_PAGE_SIZE = 25;
const DEFAULT_JPEG_QUALITY = 80;
const MAX_WIDTH = 3840;
const MAX_HEIGHT = 2160;
const NEXT_TOKEN = /^[a-zA-Z0-9+/]+={0,2}$/;

interface ImagesRequest {
  readonly reference: StreamReference;
  readonly source: TimestampSource;
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
  readonly format: ImageFormat;
  readonly jpegQuality: number;
  readonly size?: { readonly width: number; readonly height: number };
  readonly pageSize: number;
}

type ImageError = 'NO_MEDIA' | 'MEDIA_ERROR';

function formatConfig(input: Input): number {
  const config = optionalObject(input, 'FormatConfig');
  if (config === undefined) return DEFAULT_JPEG_QUALITY;
  const keys = Object.keys(config);
  if (keys.length !== 1) throw invalidArgument('FormatConfig must hold exactly one entry.');
  for (const key of keys) {
    if (!(FORMAT_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw invalidArgument(
        `1 validation error detected: Value '${key}' at 'formatConfig' failed to satisfy constraint: Map keys must satisfy enum value set: [${FORMAT_CONFIG_KEYS.join(', ')}]`,
      );
    }
  }
  const value = config.JPEGQuality;
  const quality = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(quality >= 1 && quality <= 100)) {
    throw invalidArgument('The JPEGQuality value of FormatConfig must be an integer from 1 to 100.');
  }
  return quality;
}

function imageSize(input: Input): { width: number; height: number } | undefined {
  const width = integerValue(input, 'WidthPixels', 1, MAX_WIDTH);
  const height = integerValue(input, 'HeightPixels', 1, MAX_HEIGHT);
  if ((width === undefined) !== (height === undefined)) {
    // The service's answer, whatever its documentation says about HeightPixels alone.
    throw invalidArgument('Height and width for the images need to be provided or none.');
  }
  return width === undefined || height === undefined ? undefined : { width, height };
}

function parseRequest(input: Input): ImagesRequest {
  const reference = streamReference(input);
  const source = enumValue<TimestampSource>(input, 'ImageSelectorType', SELECTOR_TYPES);
  if (source === undefined) throw invalidArgument('ImageSelectorType is required.');
  const startMs = timestampValue(input, 'StartTimestamp');
  const endMs = timestampValue(input, 'EndTimestamp');
  if (startMs === undefined || endMs === undefined) {
    throw invalidArgument('StartTimestamp and EndTimestamp are required.');
  }
  if (endMs < startMs) throw invalidArgument('EndTimestamp must not be earlier than StartTimestamp.');
  if (endMs - startMs > MAX_RANGE_MS) {
    throw invalidArgument('The range from StartTimestamp to EndTimestamp must not exceed 300 seconds.');
  }
  const intervalMs =
    integerValue(input, 'SamplingInterval', MIN_SAMPLING_INTERVAL_MS, Number.MAX_SAFE_INTEGER) ??
    DEFAULT_SAMPLING_INTERVAL_MS;
  const format = enumValue<ImageFormat>(input, 'Format', FORMATS);
  if (format === undefined) throw invalidArgument('Format is required.');
  const jpegQuality = formatConfig(input);
  const size = imageSize(input);
  const maxResults = integerValue(input, 'MaxResults', 1, 100);
  return {
    reference,
    source,
    startMs,
    endMs,
    intervalMs,
    format,
    jpegQuality,
    ...(size === undefined ? {} : { size }),
    pageSize: Math.min(maxResults ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

/** A token names the next image and the request it belongs to, so it cannot continue another one. */
function requestFingerprint(request: ImagesRequest, stream: EmulatedStream): string {
  const { source, startMs, endMs, intervalMs } = request;
  return createHash('sha256')
    .update(JSON.stringify([stream.arn, source, startMs, endMs, intervalMs]))
    .digest('base64')
    .slice(0, 16);
}

function encodeToken(next: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ next, request: fingerprint })).toString('base64');
}

function decodeToken(token: string | undefined, fingerprint: string, count: number): number {
  if (token === undefined) return 0;
  if (token.length > 4096 || !NEXT_TOKEN.test(token)) throw invalidArgument('NextToken is not valid.');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalidArgument('NextToken is not valid.');
  }
  const { next, request } = (typeof value === 'object' && value !== null ? value : {}) as {
    next?: unknown;
    request?: unknown;
  };
  if (typeof next !== 'number' || !Number.isInteger(next) || next < 1 || next >= count) {
    throw invalidArgument('NextToken is not valid.');
  }
  if (request !== fingerprint) throw invalidArgument('NextToken was issued for a different request.');
  return next;
}

/** The fragment playing at `atMs` by `source` time: the latest-starting one that covers it. */
function fragmentAt(
  fragments: readonly ArchivedFragment[],
  source: TimestampSource,
  atMs: number,
): ArchivedFragment | undefined {
  let found: ArchivedFragment | undefined;
  for (const fragment of fragments) {
    const startMs = sourceTimeMs(fragment, source);
    if (startMs <= atMs && atMs < startMs + fragment.durationMs) {
      if (!found || startMs >= sourceTimeMs(found, source)) found = fragment;
    }
  }
  return found;
}

function clipOffsetsMs(durationsMs: readonly number[]): number[] {
  let total = 0;
  return durationsMs.map((duration) => {
    const offset = total;
    total += duration;
    return offset;
  });
}

export async function getImages(state: EmulatorState, input: Input): Promise<Record<string, unknown>> {
  const nowMs = state.clock();
  const request = parseRequest(input);
  if (
    !state.limiter.tryTake({
      key: `stream/${request.reference.key}/get-images`,
      perSecond: state.quotas.getImagesPerStream,
    })
  ) {
    throw clientLimitExceeded();
  }
  const stream = findStream(state.streams, request.reference);
  if (stream.retentionHours === 0) {
    throw new ServiceError(
      'NoDataRetentionException',
      400,
      'The stream has no data retention; GetImages needs retention greater than 0.',
    );
  }

  const count = Math.floor((request.endMs - request.startMs) / request.intervalMs) + 1;
  const fingerprint = requestFingerprint(request, stream);
  const first = decodeToken(optionalString(input, 'NextToken'), fingerprint, count);
  const last = Math.min(count, first + request.pageSize) - 1;
  const times = Array.from(
    { length: last - first + 1 },
    (_, i) => request.startMs + (first + i) * request.intervalMs,
  );

  const timeline = stream.timeline;
  const fragments = timeline
    ? dedupe(
        [
          ...timeline.range(
            nowMs,
            request.source,
            (times[0] ?? request.startMs) - timeline.maxDurationMs,
            times[times.length - 1] ?? request.startMs,
          ),
        ],
        request.source,
      )
    : [];
  const clip = stream.clip;
  const stills = clip?.stills;
  const track1 = stream.tracks.find((track) => track.trackNumber === 1);
  const pictured =
    track1 !== undefined && track1.kind === 'video' && SUPPORTED_VIDEO.includes(track1.codecId);
  const offsetsMs = clipOffsetsMs(clip?.fragmentDurationsMs ?? []);
  const originalSize = stills ? { width: stills.width, height: stills.height } : undefined;

  const images = await Promise.all(
    times.map(async (atMs) => {
      const fragment = timeline ? fragmentAt(fragments, request.source, atMs) : undefined;
      let error: ImageError | undefined;
      let content: Base64Image | undefined;
      if (!fragment) error = 'NO_MEDIA';
      else if (!pictured || !stills || !originalSize) error = 'MEDIA_ERROR';
      else {
        const clipMs = (offsetsMs[fragment.clipIndex] ?? 0) + (atMs - sourceTimeMs(fragment, request.source));
        const index = Math.min(stills.jpegs.length - 1, Math.floor(clipMs / stills.intervalMs));
        const imageRequest: ImageRequest = {
          ...(request.size ?? originalSize),
          format: request.format,
          jpegQuality: request.jpegQuality,
        };
        content = await state.stills.render(stills.jpegs[index]!, imageRequest);
      }
      return {
        TimeStamp: atMs / 1000,
        ...(error === undefined ? {} : { Error: error }),
        ...(content === undefined ? {} : { ImageContent: content }),
      };
    }),
  );
  return {
    Images: images,
    ...(last + 1 < count ? { NextToken: encodeToken(last + 1, fingerprint) } : {}),
  };
}
