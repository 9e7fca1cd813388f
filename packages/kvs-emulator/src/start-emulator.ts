import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataEndpoints, type EmulatorState } from './emulator-state';
import { FaultInjector, type Faults } from './faults';
import { DEFAULT_LIMITS, type Limits } from './limits';
import { cachingMediaLoader } from './media-loader';
import { DEFAULT_QUOTAS, QuotaBuckets, type Quotas } from './quotas';
import { Counters } from './counters';
import { PendingDelays } from './pending-delays';
import { createRequestListener } from './server';
import { SessionTokens } from './session-token';
import { StillRenderer } from './still-renderer';
import type { LocalCredentials } from './sigv4-verifier';
import { loadStreamConfigs, StreamConfigError, type StreamConfig } from './stream-config';
import { configuredStream, type EmulatedStream } from './stream-registry';

export interface EmulatorOptions {
  /** 0 = any free port. Default: KVS_PORT or 4567. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default us-east-1. */
  region?: string;
  /** The only credentials whose signatures are accepted. Default local / local. */
  credentials?: LocalCredentials;
  /** Default: the demo streams of `streams.json`. */
  streams?: readonly StreamConfig[];
  /** Epoch milliseconds; every stream, session and quota follows it. Default Date.now. */
  clock?: () => number;
  /** Per-second quotas; unset ones are the service's. */
  quotas?: Partial<Quotas>;
  /** Size limits of single calls (GetClip); unset ones are the service's. */
  limits?: Partial<Limits>;
  faults?: Faults;
  /**
   * Local only, for tests and demos of renewal: sessions end after `Expires × scale` (0 < scale ≤ 1), so a
   * 300 s session can be watched expiring in 15 s (scale 0.05). The API still says 300 s; a client that
   * wants to renew in time runs its own clock as fast. Default 1, as KVS.
   */
  sessionLifetimeScale?: number;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`, the control-plane endpoint. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly credentials: LocalCredentials;
  stop(): Promise<void>;
  /** Calls per operation (and `<Operation>:<ErrorType>` per answered error) since start or reset. */
  counters(): Record<string, number>;
  resetCounters(): void;
  setFaults(faults: Faults): void;
  /** Retires every data endpoint handed out so far: API calls on them fail like a dead host. */
  rotateEndpoints(): void;
  /** The emulator's clock (the injected one, if any). */
  now(): number;
}

function defaultPort(): number {
  const raw = process.env.KVS_PORT;
  if (raw === undefined || raw === '') return 4567;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`KVS_PORT must be a port number, got ${raw}`);
  return port;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function checkedLimits(overrides: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`limits.${name} must be a positive integer`);
  }
  return limits;
}

/** Starts the emulator on its own HTTP server; the demo streams unless `streams` says otherwise. */
export async function startKvsEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' };
  const clock = options.clock ?? (() => Date.now());
  const limits = checkedLimits(options.limits);
  const sessionLifetimeScale = options.sessionLifetimeScale ?? 1;
  if (!(sessionLifetimeScale > 0 && sessionLifetimeScale <= 1)) {
    throw new RangeError('sessionLifetimeScale must be greater than 0 and at most 1.');
  }
  const load = cachingMediaLoader();
  const configs = options.streams ?? loadStreamConfigs();
  const startupMs = Math.floor(clock() / 1000) * 1000;
  const streams = new Map<string, EmulatedStream>();
  for (const [index, config] of configs.entries()) {
    let clip;
    try {
      clip = await load(config.media);
    } catch (error) {
      throw new StreamConfigError(index, (error as Error).message);
    }
    streams.set(config.name, configuredStream(config, clip, region, startupMs));
  }

  let port = 0;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const faults = new FaultInjector(options.faults ?? {});
  const state: EmulatorState = {
    region,
    clock,
    streams,
    tokens: new SessionTokens(),
    sessionLifetimeScale,
    limiter: new QuotaBuckets(clock),
    quotas: { ...DEFAULT_QUOTAS, ...options.quotas },
    limits,
    faults,
    stills: new StillRenderer(),
    endpoints: new DataEndpoints(),
    baseUrl: () => `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`,
  };
  const counters = new Counters();
  const delays = new PendingDelays();
  const server = createServer(createRequestListener({ state, credentials, counters, delays }));
  server.keepAliveTimeout = 5000;
  port = await listen(server, options.port ?? defaultPort(), host);

  return {
    endpoint: state.baseUrl(),
    port,
    region,
    credentials,
    stop: async () => {
      const stills = state.stills.close();
      await new Promise<void>((resolve, reject) => {
        delays.cancelAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await stills;
    },
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    setFaults: (next) => faults.set(next),
    rotateEndpoints: () => state.endpoints.rotate(),
    now: clock,
  };
}
