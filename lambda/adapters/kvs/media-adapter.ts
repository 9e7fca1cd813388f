import { GetDataEndpointCommand, KinesisVideoClient, type APIName } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetImagesCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { LRUCache } from 'lru-cache';
import type { ImageError } from '../../contract';
import type { DomainError } from '../../core/errors';
import { InvalidRequestError, StreamNotPlayableError, UpstreamError } from '../../core/errors';
import type {
  ArchiveRange,
  FragmentInfo,
  ImageResult,
  ImagesCall,
  KvsMediaPort,
} from '../../core/media/ports';
import type { Clock } from '../../core/ports';
import { EndpointCache } from './endpoint-cache';
import { BudgetExhaustedError, classify, errorName, toDomainError } from './kvs-errors';

export interface KvsMediaAdapterOptions {
  region: string;
  /** Control-plane endpoint override (the local emulator). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Longest single attempt of a call (GetClip's download included), within the caller's deadline. */
  callTimeoutMs: number;
  endpointCacheTtlMs: number;
  endpointCacheMaxEntries: number;
  onEndpointCacheLookup?: (hit: boolean) => void;
  /** Called for every failed KVS attempt with the exception name (or TimeoutError / NetworkError). */
  onKvsError?: (name: string) => void;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
}

const MEDIA_CLIENT_MAX_ENTRIES = 64;
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1_000;
/** ListFragments answers at most 1000 fragments a page. */
const LIST_PAGE_SIZE = 1000;
const IMAGE_ERRORS: ReadonlySet<string> = new Set<ImageError>(['NO_MEDIA', 'MEDIA_ERROR']);

/** The deadline of one operation, and the last failure seen within it. */
interface Budget {
  readonly deadline: number;
  lastError?: unknown;
}

const SELECTOR_TYPES = { SERVER: 'SERVER_TIMESTAMP', PRODUCER: 'PRODUCER_TIMESTAMP' } as const;

/**
 * The archived media of KVS behind the `KvsMediaPort`: ListFragments, GetClip and GetImages on the data
 * endpoint of each (cached per stream and API, as the vend path caches its own). Created once per process.
 * Every call runs until the caller's deadline: throttling and transient failures (these calls only read)
 * are retried with full-jitter backoff while it lasts, and a failure that points at the endpoint fetches
 * it again once.
 */
export function createKvsMediaAdapter(options: KvsMediaAdapterOptions): KvsMediaPort {
  const clock = options.clock ?? { now: () => Date.now() };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clientConfig = {
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.callTimeoutMs, requestTimeout: options.callTimeoutMs },
  };
  const control = new KinesisVideoClient({
    ...clientConfig,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const mediaClients = new LRUCache<string, KinesisVideoArchivedMediaClient>({
    max: MEDIA_CLIENT_MAX_ENTRIES,
  });
  const endpoints = new EndpointCache({
    ttlMs: options.endpointCacheTtlMs,
    maxEntries: options.endpointCacheMaxEntries,
    clock,
    ...(options.onEndpointCacheLookup ? { onLookup: options.onEndpointCacheLookup } : {}),
  });

  const mediaClientFor = (endpoint: string): KinesisVideoArchivedMediaClient => {
    let client = mediaClients.get(endpoint);
    if (!client) {
      client = new KinesisVideoArchivedMediaClient({ ...clientConfig, endpoint });
      mediaClients.set(endpoint, client);
    }
    return client;
  };

  const withRetries = async <T>(call: (signal: AbortSignal) => Promise<T>, budget: Budget): Promise<T> => {
    for (let attempt = 0; ; attempt += 1) {
      const remaining = budget.deadline - clock.now();
      if (remaining <= 0) throw new BudgetExhaustedError(budget.lastError);
      const cutByBudget = remaining < options.callTimeoutMs;
      try {
        return await call(AbortSignal.timeout(Math.ceil(Math.min(options.callTimeoutMs, remaining))));
      } catch (error) {
        if (cutByBudget && budget.lastError !== undefined && classify(error) === 'timeout') {
          throw new BudgetExhaustedError(budget.lastError);
        }
        budget.lastError = error;
        options.onKvsError?.(errorName(error));
        if (classify(error) === 'client') throw error;
        const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
        if (clock.now() + delay >= budget.deadline) throw new BudgetExhaustedError(error);
        await sleep(delay);
      }
    }
  };

  const endpointSuspect = (error: unknown): boolean => {
    const kind = classify(error instanceof BudgetExhaustedError ? error.lastError : error);
    return kind === 'server' || kind === 'network' || kind === 'timeout';
  };

  /** Runs `call` with the archived-media client of the stream's data endpoint for `apiName`. */
  const onEndpoint = async <T>(
    streamName: string,
    apiName: APIName,
    budget: Budget,
    call: (client: KinesisVideoArchivedMediaClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const load = async (): Promise<string> => {
      const output = await withRetries(
        (signal) =>
          control.send(new GetDataEndpointCommand({ StreamName: streamName, APIName: apiName }), {
            abortSignal: signal,
          }),
        budget,
      );
      if (!output.DataEndpoint) throw new UpstreamError('Kinesis Video Streams returned no data endpoint.');
      return output.DataEndpoint;
    };
    try {
      return await endpoints.use(
        `${streamName}\u0000${apiName}`,
        load,
        (endpoint) => withRetries((signal) => call(mediaClientFor(endpoint), signal), budget),
        endpointSuspect,
      );
    } catch (error) {
      throw toMediaError(error);
    }
  };

  const timestampRange = (range: ArchiveRange) => ({
    StartTimestamp: new Date(range.start),
    EndTimestamp: new Date(range.end),
  });

  return {
    async listFragments(range, deadline) {
      const budget: Budget = { deadline };
      const fragments: FragmentInfo[] = [];
      let nextToken: string | undefined;
      do {
        const page = await onEndpoint(range.streamName, 'LIST_FRAGMENTS', budget, (client, signal) =>
          client.send(
            new ListFragmentsCommand({
              StreamName: range.streamName,
              MaxResults: LIST_PAGE_SIZE,
              // The paginators of the SDKs send the whole request again with the token: so does this.
              FragmentSelector: {
                FragmentSelectorType: SELECTOR_TYPES[range.timestampSource],
                TimestampRange: timestampRange(range),
              },
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
            { abortSignal: signal },
          ),
        );
        for (const fragment of page.Fragments ?? []) {
          if (!fragment.ProducerTimestamp || !fragment.ServerTimestamp) continue;
          fragments.push({
            producerTimestamp: fragment.ProducerTimestamp.getTime(),
            serverTimestamp: fragment.ServerTimestamp.getTime(),
            durationMs: fragment.FragmentLengthInMilliseconds ?? 0,
            bytes: fragment.FragmentSizeInBytes ?? 0,
          });
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return fragments;
    },

    getClip(range, deadline) {
      return onEndpoint(range.streamName, 'GET_CLIP', { deadline }, async (client, signal) => {
        const output = await client.send(
          new GetClipCommand({
            StreamName: range.streamName,
            ClipFragmentSelector: {
              FragmentSelectorType: SELECTOR_TYPES[range.timestampSource],
              TimestampRange: timestampRange(range),
            },
          }),
          { abortSignal: signal },
        );
        if (!output.Payload) throw new UpstreamError('Kinesis Video Streams returned an empty clip.');
        // The download belongs to the attempt: a body that stalls past its deadline fails it.
        return output.Payload.transformToByteArray();
      });
    },

    async getImages(call: ImagesCall, deadline) {
      const budget: Budget = { deadline };
      const images: ImageResult[] = [];
      let nextToken: string | undefined;
      do {
        const page = await onEndpoint(call.streamName, 'GET_IMAGES', budget, (client, signal) =>
          client.send(
            new GetImagesCommand({
              StreamName: call.streamName,
              ImageSelectorType: SELECTOR_TYPES[call.timestampSource],
              StartTimestamp: new Date(call.start),
              EndTimestamp: new Date(call.end),
              SamplingInterval: call.intervalMs,
              Format: call.format,
              MaxResults: call.maxResults,
              ...(call.width !== undefined && call.height !== undefined
                ? { WidthPixels: call.width, HeightPixels: call.height }
                : {}),
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
            { abortSignal: signal },
          ),
        );
        for (const image of page.Images ?? []) {
          if (!image.TimeStamp) continue;
          const error = image.Error !== undefined && IMAGE_ERRORS.has(image.Error) ? image.Error : undefined;
          images.push({
            timestamp: image.TimeStamp.getTime(),
            ...(image.ImageContent !== undefined && error === undefined
              ? { content: image.ImageContent }
              : { error: error ?? 'MEDIA_ERROR' }),
          });
        }
        nextToken = page.NextToken;
      } while (nextToken && images.length < call.maxResults);
      return images;
    },
  };
}

/**
 * The domain error of a failed media call: as for session URLs (`toDomainError`), except that a refused
 * range is about the clip or images asked for, not about playback parameters, and an unsupported media
 * type is about clips and images, not HLS/DASH.
 */
function toMediaError(error: unknown): DomainError {
  const failure = error instanceof BudgetExhaustedError ? error.lastError : error;
  const name = (failure as { name?: string } | undefined)?.name;
  if (name === 'InvalidArgumentException') {
    return new InvalidRequestError(
      'Kinesis Video Streams rejected the range (for example a range outside the retained media).',
    );
  }
  if (name === 'UnsupportedStreamMediaTypeException') {
    return new StreamNotPlayableError(
      'The stream cannot be made into an MP4 clip or images: its media type is not supported (UnsupportedStreamMediaType).',
    );
  }
  return toDomainError(error);
}
