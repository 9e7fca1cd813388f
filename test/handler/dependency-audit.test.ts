import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { startKvsEmulator, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createDynamoDbActivityTracker } from '../../lambda/adapters/admission/activity-tracker';
import { createAdmissionTable } from '../../lambda/adapters/admission/admission-table';
import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import { createDynamoDbGrantStore } from '../../lambda/adapters/grants/dynamodb-grant-store';
import { createDynamoDbSessionLog } from '../../lambda/adapters/sessions/dynamodb-session-log';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { secretLoader } from '../../lambda/adapters/signing-secret';
import { createKvsAdapter } from '../../lambda/adapters/kvs/kvs-adapter';
import { createSharedEndpointCache } from '../../lambda/adapters/kvs/shared-endpoint-cache';
import { createAdmission } from '../../lambda/core/admission';
import { DEPENDENCIES } from '../../lambda/core/errors';
import type { VendHandlerDeps } from '../../lambda/vend/create-handler';
import {
  AUDIENCE,
  captureOutput,
  clock,
  context,
  errorOf,
  event,
  ISSUER,
  jsonLines,
  setupHandler,
  signToken,
} from './support';

/**
 * A 503 or 504 because a dependency failed or missed its deadline names that dependency in its audit line
 * (`dependency`), so that an operator can tell the admission table from the grants table from KVS; the
 * body the caller gets stays generic. Each dependency here is the real adapter talking to a real socket
 * that accepts connections and never answers: the deadline the adapter keeps is what ends the wait.
 */
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();
let emulator: RunningEmulator;

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  emulator = await startKvsEmulator({ port: 0 });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await emulator.stop();
});

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const wallClock = { now: () => Date.now() };
/** A token signed by a key of the identity provider, whose key set the function cannot reach. */
function rs256Token(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const iat = Math.floor(clock.now() / 1000);
  return jwt.sign({ sub: 'alice', iat, exp: iat + 300 }, privateKey, {
    algorithm: 'RS256',
    keyid: 'idp-key-1',
    issuer: ISSUER,
    audience: AUDIENCE,
  });
}
const headers = { Authorization: `Bearer ${signToken()}`, 'Content-Type': 'application/json' };

const silentAdmissionTable = () =>
  createAdmissionTable({
    tableName: 'admission',
    region: REGION,
    endpoint: silentUrl,
    credentials: CREDENTIALS,
    timeoutMs: 200,
    clock: wallClock,
  });

const kvsAt = (endpoint: string, extra: Partial<Parameters<typeof createKvsAdapter>[0]> = {}) =>
  createKvsAdapter({
    region: endpoint === silentUrl ? REGION : emulator.region,
    endpoint,
    credentials: endpoint === silentUrl ? CREDENTIALS : emulator.credentials,
    callTimeoutMs: 150,
    retryBudgetMs: 400,
    endpointCacheTtlMs: 1_500_000,
    endpointCacheMaxEntries: 100,
    streamListCacheTtlMs: 30_000,
    ...extra,
  });

/** The real KVS emulator, so that only the dependency under test is missing. */
const workingKvs = () => kvsAt(emulator.endpoint);

interface Case {
  readonly dependency: (typeof DEPENDENCIES)[number];
  readonly status: number;
  readonly code: string;
  readonly deps: () => Partial<VendHandlerDeps>;
  readonly authorization?: string;
}

const CASES: readonly Case[] = [
  {
    dependency: 'grants',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    deps: () => ({
      kvs: workingKvs(),
      grants: createDynamoDbGrantStore({
        tableName: 'grants',
        region: REGION,
        endpoint: silentUrl,
        credentials: CREDENTIALS,
        cacheTtlMs: 30_000,
        timeoutMs: 200,
      }),
    }),
  },
  {
    dependency: 'admission',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    deps: () => {
      const table = silentAdmissionTable();
      return {
        kvs: workingKvs(),
        admission: createAdmission({
          limiter: createDynamoDbRateLimiter({ table }),
          activity: createDynamoDbActivityTracker({ table }),
          callerLimit: { ratePerSecond: 5, burst: 10 },
          streamLimit: { ratePerSecond: 20, burst: 5 },
          streamShareWindowMs: 10_000,
          clock: wallClock,
          timeoutMs: 200,
        }),
      };
    },
  },
  {
    dependency: 'sessions',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    deps: () => ({
      kvs: workingKvs(),
      sessions: {
        log: createDynamoDbSessionLog({
          tableName: 'sessions',
          region: REGION,
          endpoint: silentUrl,
          credentials: CREDENTIALS,
          timeoutMs: 200,
          clock: wallClock,
        }),
        capPerUser: 3,
      },
    }),
  },
  {
    dependency: 'kvs',
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    deps: () => ({ kvs: kvsAt(silentUrl) }),
  },
  {
    dependency: 'token-keys',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    authorization: `Bearer ${rs256Token()}`,
    deps: () => ({
      kvs: workingKvs(),
      verifier: createJwtVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['RS256'],
        jwksUrl: `${silentUrl}/.well-known/jwks.json`,
        jwksTimeoutMs: 200,
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
        clock,
      }),
    }),
  },
  {
    dependency: 'signing-secret',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    deps: () => ({
      kvs: workingKvs(),
      verifier: createJwtVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        secret: secretLoader({
          secretId: 'jwt-signing-secret',
          region: REGION,
          endpoint: silentUrl,
          credentials: CREDENTIALS,
          timeoutMs: 200,
          unavailable: 'The token signing secret is unavailable.',
          dependency: 'signing-secret',
        }),
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
        clock,
      }),
    }),
  },
];

describe('the audit line of a 503/504 names the dependency that did not answer', () => {
  it.each(CASES.map((item) => [item.dependency, item] as const))('%s', async (_name, item) => {
    const { handler } = setupHandler(item.deps());
    const request = event({
      requestId: `req-${item.dependency}`,
      headers: item.authorization ? { ...headers, Authorization: item.authorization } : headers,
      body: '{}',
    });

    const { result, output } = await captureOutput(() => handler(request, context));

    expect(result.statusCode).toBe(item.status);
    const error = errorOf(result);
    expect(error.code).toBe(item.code);
    // The body is the caller's: it names no dependency, address or table.
    for (const name of DEPENDENCIES) expect(result.body).not.toContain(`"${name}"`);
    expect(result.body).not.toContain('127.0.0.1');
    const audits = jsonLines(output).filter((line) => line.audit !== undefined);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.audit).toMatchObject({
      outcome: 'refused',
      status: item.status,
      code: item.code,
      dependency: item.dependency,
    });
    // Neither the socket's address nor the token reaches the log.
    expect(output).not.toContain(silentUrl);
    expect(output).not.toContain(headers.Authorization.slice('Bearer '.length));
  });

  it('never blames the fleet endpoint cache: a silent cache table falls back to KVS and the vend succeeds', async () => {
    const sharedEndpoints = createSharedEndpointCache({
      tableName: 'endpoint-cache',
      region: REGION,
      endpoint: silentUrl,
      credentials: CREDENTIALS,
      ttlMs: 1_500_000,
      requestTimeoutMs: 150,
    });
    const { handler } = setupHandler({
      kvs: kvsAt(emulator.endpoint, { retryBudgetMs: 4_000, sharedEndpoints }),
    });

    const { result, output } = await captureOutput(() => handler(event({ headers, body: '{}' }), context));

    expect(result.statusCode).toBe(200);
    expect(jsonLines(output).some((line) => line.message === 'Request refused')).toBe(false);
  });
});
