import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { ROUTES } from '../../lambda/contract';
import type { Grant } from '../../lambda/core/model';
import { createHandler, type VendHandlerDeps } from '../../lambda/vend/create-handler';
import { proxyRequestContext } from '../../local/api-gateway/proxy-event';
import { FakeGrantStore, FakeKvs, NOW } from '../core/fakes';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'kvs-url-vending';
export const SECRET = 'handler-test-secret-with-at-least-32-bytes';
export const ORIGIN = 'https://app.example';
export const SESSION_TOKEN = 'SESSIONTOKEN-9f8e7d6c5b4a';
export const SESSION_URL = `https://b-1234.kinesisvideo.us-east-1.amazonaws.com/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=${SESSION_TOKEN}`;

export const GRANTS: Grant[] = [
  {
    principal: 'user:alice',
    grantId: 'a',
    streams: ['front-door'],
    playbackModes: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'],
    protocols: ['HLS', 'DASH'],
    maxExpiresInSeconds: 900,
  },
  {
    principal: 'user:bob',
    grantId: 'b',
    streams: ['backyard'],
    playbackModes: ['LIVE'],
    protocols: ['HLS'],
    maxExpiresInSeconds: 600,
  },
  {
    principal: 'group:security',
    grantId: 's',
    streams: ['*'],
    playbackModes: ['LIVE'],
    protocols: ['HLS', 'DASH'],
    maxExpiresInSeconds: 3600,
  },
  {
    principal: 'partner:partner-key-1',
    grantId: 'p',
    streams: ['front-door'],
    playbackModes: ['LIVE'],
    protocols: ['HLS'],
    maxExpiresInSeconds: 300,
  },
];

export const clock = { now: () => NOW };

/** A token valid at the test clock's NOW (the verifier uses that clock, not the system time). */
export function signToken(claims: Record<string, unknown> = {}, options: jwt.SignOptions = {}): string {
  const iat = Math.floor(NOW / 1000);
  return jwt.sign({ sub: 'alice', iat, exp: iat + 300, ...claims }, SECRET, {
    algorithm: 'HS256',
    issuer: ISSUER,
    audience: AUDIENCE,
    ...options,
  });
}

export function setupHandler(overrides: Partial<VendHandlerDeps> = {}) {
  const grants = new FakeGrantStore(GRANTS);
  const kvs = new FakeKvs(['front-door', 'backyard', 'garage'], SESSION_URL);
  const handler = createHandler({
    verifier: createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      secret: SECRET,
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      jwksRefetchIntervalSeconds: 30,
      clock,
    }),
    grants,
    kvs,
    clock,
    allowedOrigins: [ORIGIN],
    ...overrides,
  });
  return { handler, grants, kvs };
}

export interface EventOptions {
  method?: string;
  resource?: string;
  streamName?: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  apiKeyId?: string | null;
  requestId?: string;
}

/** The contract's method on `resource` (GET for a resource it does not define). */
function methodOf(resource: string): string {
  return ROUTES.find((route) => route.resource === resource)?.method ?? 'GET';
}

export function event(options: EventOptions = {}): APIGatewayProxyEvent {
  const resource = options.resource ?? '/v1/streams/{streamName}/playback-url';
  const streamName = options.streamName ?? 'front-door';
  const headers = options.headers ?? {};
  const path = resource.replace('{streamName}', streamName);
  const method = options.method ?? methodOf(resource);
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: resource.includes('{streamName}') ? { streamName } : null,
    stageVariables: null,
    body: options.body === undefined ? null : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: proxyRequestContext({
      requestId: options.requestId ?? 'req-0001',
      method,
      path,
      resource,
      receivedAt: NOW,
      sourceIp: '203.0.113.7',
      userAgent: 'jest',
      stage: 'prod',
      ...(options.apiKeyId ? { apiKey: { value: null, id: options.apiKeyId } } : {}),
    }),
  };
}

export const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'vend',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:vend',
  memoryLimitInMB: '512',
  awsRequestId: 'lambda-req-1',
  logGroupName: '/aws/lambda/vend',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

export function bodyOf<T = Record<string, unknown>>(response: APIGatewayProxyResult): T {
  return JSON.parse(response.body) as T;
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: { field: string; issue: string }[] };
}

export function errorOf(response: APIGatewayProxyResult): ErrorBody['error'] {
  return bodyOf<ErrorBody>(response).error;
}

export interface LogLine {
  audit?: Record<string, unknown>;
  correlation_id?: string;
  _aws?: unknown;
  [key: string]: unknown;
}

/** The JSON lines (structured logs and EMF metrics) of captured output. */
export function jsonLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Everything written to stdout, stderr or the console while `run` runs. */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const record = (...args: unknown[]): void => {
    chunks.push(
      args
        .map((arg) =>
          typeof arg === 'string' ? arg : Buffer.isBuffer(arg) ? arg.toString() : JSON.stringify(arg),
        )
        .join(' '),
    );
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (record(chunk), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (record(chunk), true)),
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation(record),
    ),
  ];
  try {
    const result = await run();
    return { result, output: chunks.join('\n') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
