import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/ports';

/**
 * KVS data endpoints are documented as stable for a while, and the KVS producer SDKs refresh them every 40
 * minutes; past 30 minutes an entry is never trusted.
 */
export const MAX_ENDPOINT_TTL_MS = 30 * 60 * 1000;

export interface EndpointCacheOptions {
  ttlMs: number;
  maxEntries: number;
  clock?: Clock;
  /** Called once per lookup: true when served from the cache (or an in-flight load), false on a load. */
  onLookup?: (hit: boolean) => void;
}

export interface EndpointCacheStats {
  size: number;
  hits: number;
  misses: number;
  loads: number;
  invalidations: number;
}

interface Entry {
  endpoint: string;
  expiresAt: number;
}

/** What a load found: the endpoint, and until when to keep it (default: the cache's TTL from now). */
export interface LoadedEndpoint {
  readonly endpoint: string;
  /** Epoch ms; never later than the cache's TTL from now. */
  readonly keepUntil?: number;
}

/**
 * Data endpoints by key (stream and API name), in this instance. Bounded LRU with a TTL; concurrent misses
 * of one key share one load; a load failure is never cached. A load may say to keep its endpoint for less
 * than the TTL (the fleet's shared cache does: see shared-endpoint-cache.ts). `use` runs a call on the endpoint and, when the call fails in
 * a way that suggests the endpoint itself is bad, drops the entry and tries once more on a fresh one.
 */
export class EndpointCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly clock: Clock;
  private readonly counters = { hits: 0, misses: 0, loads: 0, invalidations: 0 };

  constructor(private readonly options: EndpointCacheOptions) {
    if (!(options.ttlMs > 0 && options.ttlMs <= MAX_ENDPOINT_TTL_MS)) {
      throw new RangeError(`Endpoint cache TTL must be within (0, ${MAX_ENDPOINT_TTL_MS}] ms.`);
    }
    if (!(Number.isInteger(options.maxEntries) && options.maxEntries > 0)) {
      throw new RangeError('Endpoint cache size must be a positive integer.');
    }
    this.entries = new LRUCache<string, Entry>({ max: options.maxEntries });
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  get(key: string, load: () => Promise<string | LoadedEndpoint>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.clock.now()) {
      this.record(true);
      return Promise.resolve(entry.endpoint);
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.record(true);
      return pending;
    }
    this.record(false);
    this.counters.loads += 1;
    const promise = load()
      .then((loaded) => {
        const { endpoint, keepUntil } = typeof loaded === 'string' ? { endpoint: loaded } : loaded;
        const latest = this.clock.now() + this.options.ttlMs;
        this.entries.set(key, { endpoint, expiresAt: Math.min(latest, keepUntil ?? latest) });
        return endpoint;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /**
   * Drops the entry only if it still holds `endpoint`, so a failure seen on an old endpoint never evicts
   * the fresh one another caller already loaded.
   */
  invalidate(key: string, endpoint: string): void {
    const entry = this.entries.peek(key);
    if (entry && entry.endpoint === endpoint) {
      this.entries.delete(key);
      this.counters.invalidations += 1;
    }
  }

  /**
   * `onInvalidate` is told the endpoint that failed before the fresh one is loaded (the fleet's shared
   * cache drops it there too, so the fresh load does not find it again).
   */
  async use<T>(
    key: string,
    load: () => Promise<string | LoadedEndpoint>,
    call: (endpoint: string) => Promise<T>,
    endpointSuspect: (error: unknown) => boolean,
    onInvalidate?: (endpoint: string) => Promise<void>,
  ): Promise<T> {
    const endpoint = await this.get(key, load);
    try {
      return await call(endpoint);
    } catch (error) {
      if (!endpointSuspect(error)) throw error;
      this.invalidate(key, endpoint);
      await onInvalidate?.(endpoint);
      const fresh = await this.get(key, load);
      return call(fresh);
    }
  }

  stats(): EndpointCacheStats {
    return { size: this.entries.size, ...this.counters };
  }

  private record(hit: boolean): void {
    if (hit) this.counters.hits += 1;
    else this.counters.misses += 1;
    this.options.onLookup?.(hit);
  }
}
