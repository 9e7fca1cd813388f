/** What the fleet (main thread) and one of its instances (a worker thread) say to each other. */

/** Given to an instance when it starts: what a Lambda instance reads from its environment. */
export interface FleetInstanceData {
  readonly kvsEndpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly callTimeoutMs: number;
  readonly retryBudgetMs: number;
  readonly endpointCacheTtlMs: number;
  /** The fleet's shared endpoint cache table. */
  readonly sharedEndpointCache: { readonly tableName: string; readonly endpoint: string };
  /**
   * A stream the instance vends for once on each side while it initialises, so that its SDK clients have
   * run once (see instance.ts); the orders name other streams, for which its endpoint caches hold nothing.
   */
  readonly warmUpStream: string;
}

/**
 * Which KVS adapter of the instance serves an order: `instance`, with its own endpoint cache only (every
 * instance fetches its own endpoints), or `fleet`, with the fleet's shared cache behind its own.
 */
export type CacheSide = 'instance' | 'fleet';

export interface VendOrder {
  readonly type: 'vend';
  readonly orderId: number;
  readonly side: CacheSide;
  readonly streamName: string;
}

export type ToFleetInstance = VendOrder;

export interface VendReport {
  readonly type: 'vended';
  readonly orderId: number;
  /** Absent when the vend succeeded: otherwise the error code of the contract (RATE_LIMITED, ...). */
  readonly errorCode?: string;
  /** From the order's arrival in the instance to its answer. */
  readonly elapsedMs: number;
  /** What the fleet's endpoint cache did during the vend (hit, fetched, waited, fallback), by count. */
  readonly events: Readonly<Record<string, number>>;
}

export type FromFleetInstance =
  { readonly type: 'ready' } | { readonly type: 'init-error'; readonly message: string } | VendReport;
