import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startKvsEmulator, type EmulatorOptions, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createKvsAdapter } from '../../../lambda/adapters/kvs/kvs-adapter';
import { createJwtVerifier, type JwtVerifierOptions } from '../../../lambda/adapters/jwt-verifier';
import { parseGrantRecords } from '../../../lambda/adapters/grants/grant-records';
import { createStaticGrantStore } from '../../../lambda/adapters/grants/static-grant-store';
import type { Clock, GrantStore } from '../../../lambda/core/ports';
import { createHandler, type VendHandlerDeps } from '../../../lambda/vend/create-handler';
import { createLocalApiServer } from '../../../local/api-gateway/server';
import type { LeakGuard } from '../../support/leak-guard';

/** Distinctive on purpose: the leak guard looks for them in every log line and answer. */
export const TEST_AWS_CREDENTIALS = {
  accessKeyId: 'AKIALEAKGUARDTEST0001',
  secretAccessKey: 'leak-guard-secret-access-key-0123456789abcdef',
} as const;

/** The KVS adapter's retry budget in the harness. */
export const RETRY_BUDGET_MS = 2000;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface ApiHarness {
  apiUrl: string;
  emulator: RunningEmulator;
  grantLookups(): number;
  call(
    path: string,
    options?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

/**
 * The real vend handler (real middy stack, JWT verifier, KVS adapter with its endpoint cache) behind the
 * local API Gateway adapter, over real HTTP, with the parts a security test needs to steer injected: the
 * verifier's options (key set URL, clock) and the grants. Several can run in one jest file, unlike the
 * module-level `handler.ts` that reads its environment once.
 */
export async function startApiHarness(options: {
  verifier: Pick<JwtVerifierOptions, 'issuer' | 'audience' | 'jwksUrl'> &
    Partial<JwtVerifierOptions> & { clock?: Clock };
  grants: unknown[];
  guard?: LeakGuard;
  /** Extra emulator options (a clock, streams). */
  emulator?: Omit<EmulatorOptions, 'port' | 'credentials'>;
  /** Handler settings beyond the ports (LIVE fragment limit, session start slack, groups claims). */
  handler?: Pick<
    VendHandlerDeps,
    'liveMaxFragments' | 'sessionStartSlackMs' | 'groupsClaims' | 'logger' | 'metrics'
  >;
}): Promise<ApiHarness> {
  const emulator = await startKvsEmulator({
    ...options.emulator,
    port: 0,
    credentials: { ...TEST_AWS_CREDENTIALS },
  });
  const inner = createStaticGrantStore(parseGrantRecords(options.grants));
  let lookups = 0;
  const grants: GrantStore = {
    grantsFor(principals) {
      lookups += 1;
      return inner.grantsFor(principals);
    },
  };
  const handler = createHandler({
    verifier: createJwtVerifier({
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
      jwksTimeoutMs: 500,
      ...options.verifier,
    }),
    grants,
    kvs: createKvsAdapter({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { ...TEST_AWS_CREDENTIALS },
      callTimeoutMs: 1000,
      retryBudgetMs: RETRY_BUDGET_MS,
      endpointCacheTtlMs: 60_000,
      endpointCacheMaxEntries: 100,
      streamListCacheTtlMs: 1000,
    }),
    logger: new Logger({ serviceName: 'kvs-url-vending', logLevel: 'DEBUG' }),
    metrics: new Metrics({ namespace: 'KvsUrlVending', serviceName: 'kvs-url-vending' }),
    // The adapter's retry budget: a session KVS starts by then must still end before notAfter.
    sessionStartSlackMs: RETRY_BUDGET_MS,
    ...options.handler,
  });
  const api = createLocalApiServer({ partners: [], jwks: () => ({ keys: [] }) });
  api.setHandler(handler);
  const server: Server = api.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl,
    emulator,
    grantLookups: () => lookups,
    async call(path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.token !== undefined) {
        headers.authorization = `Bearer ${callOptions.token}`;
        options.guard?.jwt(callOptions.token);
      }
      let body: string | undefined;
      if (callOptions.body !== undefined) {
        body = typeof callOptions.body === 'string' ? callOptions.body : JSON.stringify(callOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${apiUrl}${path}`, {
        method: callOptions.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body: body ?? null,
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const url = (json as { url?: unknown } | undefined)?.url;
      if (response.status === 200 && typeof url === 'string') options.guard?.sessionUrl(url);
      options.guard?.response({ status: response.status, headers: response.headers, body: text });
      return { status: response.status, headers: response.headers, text, json };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.stop();
    },
  };
}
