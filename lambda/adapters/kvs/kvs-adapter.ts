import {
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  type APIName,
} from '@aws-sdk/client-kinesis-video';
import {
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { LRUCache } from 'lru-cache';
import { UpstreamError } from '../../core/errors';
import type { SessionUrlRequest } from '../../core/model';
import type { Clock, KvsCallOptions, KvsPort } from '../../core/ports';
import { EndpointCache, type EndpointCacheStats, type LoadedEndpoint } from './endpoint-cache';
import { BudgetExhaustedError, classify, errorName, toDomainError } from './kvs-errors';
import { toDashInput, toHlsInput } from './session-requests';
import type { SharedEndpointCache } from './shared-endpoint-cache';

export interface KvsAdapterOptions {
  region: string;
  /** Control-plane endpoint override (the local emulator). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Longest single HTTP attempt. */
  callTimeoutMs: number;
  /** Longest a whole operation may take, retries of throttled calls included. */
  retryBudgetMs: number;
  endpointCacheTtlMs: number;
  endpointCacheMaxEntries: number;
  streamListCacheTtlMs: number;
  /**
   * The fleet's shared endpoint cache, asked when this instance's own cache has nothing: one instance
   * fetches a stream's endpoint for all. Absent: every instance fetches its own.
   */
  sharedEndpoints?: SharedEndpointCache;
  onEndpointCacheLookup?: (hit: boolean) => void;
  /** Called for every failed KVS attempt with the exception name (or TimeoutError / NetworkError). */
  onKvsError?: (name: string) => void;
  clock?: Clock;
  /** Waits between retries; injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface KvsAdapterStats extends EndpointCacheStats {
  mediaClients: number;
}

export type KvsAdapter = KvsPort & { endpointCacheStats(): KvsAdapterStats };

/** Archived-media clients kept at most, one per data endpoint. */
const MEDIA_CLIENT_MAX_ENTRIES = 64;
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1_000;
const LIST_PAGE_SIZE = 10_000;
const STREAM_LIST_CACHE_ENTRIES = 256;

/** One call's time budget, and the last failure seen within it (across endpoint re-fetches). */
interface Budget {
  readonly deadline: number;
  lastError?: unknown;
}

/**
 * KVS behind the `KvsPort`. Meant to be created once per process (module level): it owns the control-plane
 * client, the data endpoint cache, one archived-media client per data endpoint and the stream list cache.
 *
 * A data endpoint comes from this instance's cache, else from the fleet's shared cache when there is one
 * (one instance fetches for all, the others wait a little), else from GetDataEndpoint.
 *
 * Retries are ours, not the SDK's (clients run with maxAttempts 1): the SDK's strategy counts attempts,
 * while a vend has a wall-clock budget. Throttling is retried with full-jitter backoff while the budget
 * lasts; a data-plane failure that points at the endpoint (5xx, network, timeout) re-fetches the endpoint
 * once instead.
 */
export function createKvsAdapter(options: KvsAdapterOptions): KvsAdapter {
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
  const streamLists = new LRUCache<string, { names: readonly string[]; expiresAt: number }>({
    max: STREAM_LIST_CACHE_ENTRIES,
  });
  const streamListsInflight = new Map<string, Promise<readonly string[]>>();

  const mediaClientFor = (endpoint: string): KinesisVideoArchivedMediaClient => {
    let client = mediaClients.get(endpoint);
    if (!client) {
      client = new KinesisVideoArchivedMediaClient({ ...clientConfig, endpoint });
      mediaClients.set(endpoint, client);
    }
    return client;
  };

  /** The retry budget, or the caller's time left when that is shorter. */
  const deadlineOf = (call: KvsCallOptions | undefined): number =>
    clock.now() + Math.min(options.retryBudgetMs, call?.budgetMs ?? Infinity);

  /** Runs `call` until it succeeds, fails for good, or the deadline leaves no room for another attempt. */
  const withRetries = async <T>(
    call: (signal: AbortSignal) => Promise<T>,
    budget: Budget,
    retryTransient: boolean,
  ): Promise<T> => {
    for (let attempt = 0; ; attempt += 1) {
      const remaining = budget.deadline - clock.now();
      if (remaining <= 0) throw new BudgetExhaustedError(budget.lastError);
      const cutByBudget = remaining < options.callTimeoutMs;
      try {
        return await call(AbortSignal.timeout(Math.ceil(Math.min(options.callTimeoutMs, remaining))));
      } catch (error) {
        // An attempt the budget cut short says nothing about KVS: report what the earlier attempts saw.
        if (cutByBudget && budget.lastError !== undefined && classify(error) === 'timeout') {
          throw new BudgetExhaustedError(budget.lastError);
        }
        budget.lastError = error;
        options.onKvsError?.(errorName(error));
        const kind = classify(error);
        const retryable = kind === 'throttle' || (retryTransient && kind !== 'client');
        if (!retryable) throw error;
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

  const fetchEndpoint = async (streamName: string, apiName: APIName, budget: Budget): Promise<string> => {
    const output = await withRetries(
      (signal) =>
        control.send(new GetDataEndpointCommand({ StreamName: streamName, APIName: apiName }), {
          abortSignal: signal,
        }),
      budget,
      true,
    );
    if (!output.DataEndpoint) throw new UpstreamError('Kinesis Video Streams returned no data endpoint.');
    return output.DataEndpoint;
  };

  /** Stream names never contain `#` (STREAM_NAME_PATTERN): the fleet's key cannot be ambiguous. */
  const sharedKey = (streamName: string, apiName: APIName): string => `${streamName}#${apiName}`;

  const loadEndpoint =
    (streamName: string, apiName: APIName, budget: Budget) => async (): Promise<LoadedEndpoint> => {
      const fetch = (): Promise<string> => fetchEndpoint(streamName, apiName, budget);
      const shared = options.sharedEndpoints;
      if (!shared) return { endpoint: await fetch() };
      return shared.get(sharedKey(streamName, apiName), fetch, budget.deadline);
    };

  const sessionUrl = async (request: SessionUrlRequest, budget: Budget): Promise<string> => {
    const hls = request.protocol === 'HLS';
    const apiName: APIName = hls ? 'GET_HLS_STREAMING_SESSION_URL' : 'GET_DASH_STREAMING_SESSION_URL';
    const url = await endpoints.use(
      `${request.streamName}\u0000${apiName}`,
      loadEndpoint(request.streamName, apiName, budget),
      (endpoint) =>
        withRetries(
          async (signal) => {
            const client = mediaClientFor(endpoint);
            if (hls) {
              const output = await client.send(new GetHLSStreamingSessionURLCommand(toHlsInput(request)), {
                abortSignal: signal,
              });
              return output.HLSStreamingSessionURL;
            }
            const output = await client.send(new GetDASHStreamingSessionURLCommand(toDashInput(request)), {
              abortSignal: signal,
            });
            return output.DASHStreamingSessionURL;
          },
          budget,
          false,
        ),
      endpointSuspect,
      async (failed) => {
        await options.sharedEndpoints?.invalidate(sharedKey(request.streamName, apiName), failed);
      },
    );
    if (!url) throw new UpstreamError('Kinesis Video Streams returned no session URL.');
    return url;
  };

  const listAll = async (prefix: string, budget: Budget): Promise<readonly string[]> => {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await withRetries(
        (signal) =>
          control.send(
            new ListStreamsCommand({
              MaxResults: LIST_PAGE_SIZE,
              // An empty prefix means every stream; KVS wants a non-empty ComparisonValue.
              ...(prefix
                ? { StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: prefix } }
                : {}),
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
            { abortSignal: signal },
          ),
        budget,
        true,
      );
      for (const info of page.StreamInfoList ?? []) {
        if (info.Status === 'ACTIVE' && info.StreamName && info.StreamName.startsWith(prefix)) {
          names.push(info.StreamName);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return names;
  };

  return {
    async getSessionUrl(request: SessionUrlRequest, call?: KvsCallOptions): Promise<string> {
      try {
        return await sessionUrl(request, { deadline: deadlineOf(call) });
      } catch (error) {
        throw toDomainError(error);
      }
    },

    async listStreamNames(prefix: string, call?: KvsCallOptions): Promise<readonly string[]> {
      const cached = streamLists.get(prefix);
      if (cached && cached.expiresAt > clock.now()) return cached.names;
      let pending = streamListsInflight.get(prefix);
      if (!pending) {
        // Shared by the requests that ask meanwhile: the first one's time left bounds it.
        pending = listAll(prefix, { deadline: deadlineOf(call) })
          .then((names) => {
            streamLists.set(prefix, { names, expiresAt: clock.now() + options.streamListCacheTtlMs });
            return names;
          })
          .finally(() => streamListsInflight.delete(prefix));
        streamListsInflight.set(prefix, pending);
      }
      try {
        return await pending;
      } catch (error) {
        throw toDomainError(error);
      }
    },

    endpointCacheStats(): KvsAdapterStats {
      return { ...endpoints.stats(), mediaClients: mediaClients.size };
    },
  };
}
