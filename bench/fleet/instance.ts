/**
 * One instance of a fleet, in its own worker thread: a Lambda instance reduced to what the fleet scenarios
 * measure, the KVS adapter as the function builds it, twice: one with its own endpoint cache only, one with
 * the fleet's shared cache behind its own (the order says which). Its module state (SDK clients,
 * connections, caches) is its own. Bundled by esbuild as the function is (bench/fleet/fleet.ts) and run as
 * plain JavaScript.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createKvsAdapter, type KvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import {
  createSharedEndpointCache,
  type SharedEndpointEvent,
} from '../../lambda/adapters/kvs/shared-endpoint-cache';
import { lowerThisThreadsPriority } from '../../local/lambda-runtime/thread-priority';
import type { CacheSide, FleetInstanceData, FromFleetInstance, ToFleetInstance } from './messages';

const port = parentPort;
if (!port) throw new Error('bench/fleet/instance.ts runs in a worker thread of a fleet');
// As the local stack's instances: dynalite and the emulator come first (local/lambda-runtime/thread-priority.ts).
lowerThisThreadsPriority();
const post = (message: FromFleetInstance): void => port.postMessage(message);
const data = workerData as FleetInstanceData;
/** What the fleet's cache did for the order being served (each instance serves one order at a time). */
let events: Partial<Record<SharedEndpointEvent, number>> = {};

const adapter = (shared: boolean): KvsAdapter =>
  createKvsAdapter({
    region: data.region,
    endpoint: data.kvsEndpoint,
    credentials: data.credentials,
    callTimeoutMs: data.callTimeoutMs,
    retryBudgetMs: data.retryBudgetMs,
    endpointCacheTtlMs: data.endpointCacheTtlMs,
    endpointCacheMaxEntries: 1000,
    streamListCacheTtlMs: 30_000,
    ...(shared
      ? {
          sharedEndpoints: createSharedEndpointCache({
            tableName: data.sharedEndpointCache.tableName,
            region: data.region,
            endpoint: data.sharedEndpointCache.endpoint,
            credentials: data.credentials,
            ttlMs: data.endpointCacheTtlMs,
            requestTimeoutMs: data.callTimeoutMs,
            onEvent: (event) => {
              events[event] = (events[event] ?? 0) + 1;
            },
          }),
        }
      : {}),
  });

const adapters: Record<CacheSide, KvsAdapter> = { instance: adapter(false), fleet: adapter(true) };

const vend = (side: CacheSide, streamName: string): Promise<string> =>
  adapters[side].getSessionUrl({
    streamName,
    protocol: 'HLS',
    playbackMode: 'LIVE',
    timestampSource: 'SERVER',
    expiresInSeconds: 300,
  });

port.on('message', (message: ToFleetInstance) => {
  const started = performance.now();
  events = {};
  vend(message.side, message.streamName).then(
    () => post({ type: 'vended', orderId: message.orderId, elapsedMs: performance.now() - started, events }),
    (error: unknown) =>
      post({
        type: 'vended',
        orderId: message.orderId,
        errorCode: (error as { code?: string }).code ?? 'INTERNAL',
        elapsedMs: performance.now() - started,
        events,
      }),
  );
});

/**
 * The first call of an SDK client costs tens of milliseconds of CPU (middleware stacks, signing, the first
 * connection). A Lambda instance pays that on a CPU of its own; a hundred instances on the two cores of a
 * test machine would queue behind each other and measure the machine instead of the caches. So each
 * instance vends once on each side for a stream of its own while it initialises: a burst then finds its
 * SDK clients warm and its endpoint caches still empty for the stream of the burst.
 */
async function init(): Promise<void> {
  await vend('instance', data.warmUpStream);
  await vend('fleet', data.warmUpStream);
}

init().then(
  () => post({ type: 'ready' }),
  (error: unknown) => post({ type: 'init-error', message: (error as Error).message }),
);
