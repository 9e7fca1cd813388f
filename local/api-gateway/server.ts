import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildLambdaContext, buildProxyEvent, newRequestId } from './proxy-event';
import { matchRoute } from './routes';
import { UsagePlanMeter, type LocalPartner } from './usage-plan';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export interface LocalApiServerOptions {
  partners: readonly LocalPartner[];
  /** Epoch ms; drives the usage plans and the Lambda context deadline. */
  now?: () => number;
  /** The body of `/.well-known/jwks.json`. */
  jwks: () => unknown;
  /** Backs the dev-only `GET /_local/token`; absent disables it. */
  mintToken?: (request: { sub: string; groups: string[]; ttlSeconds?: number }) => string;
  /** Function timeout given to the handler through `context.getRemainingTimeInMillis()`. */
  functionTimeoutMs?: number;
  /** Files built at start (the client package for the demo page), by path. */
  assets?: Record<string, { type: string; body: Buffer }>;
}

export interface LocalApiServer {
  server: Server;
  /** Installs the handler once its environment is ready; API calls before that answer 503. */
  setHandler(handler: ProxyHandler): void;
}

/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;

const REPO_ROOT = resolve(__dirname, '..', '..');
const WEB_ROOT = resolve(__dirname, '..', 'demo', 'web');

/** The only files served besides the API: a fixed list, so no request path ever reaches the disk. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: join(WEB_ROOT, 'index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { file: join(WEB_ROOT, 'index.html'), type: 'text/html; charset=utf-8' },
  '/demo/app.js': { file: join(WEB_ROOT, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/demo/style.css': { file: join(WEB_ROOT, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/hls.min.js': {
    file: join(REPO_ROOT, 'node_modules', 'hls.js', 'dist', 'hls.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/dash.all.min.js': {
    file: join(REPO_ROOT, 'node_modules', 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

interface GatewayError {
  status: number;
  message: string;
  errorType?: string;
  headers?: Record<string, string>;
}

const MISSING_TOKEN: GatewayError = {
  status: 403,
  message: 'Missing Authentication Token',
  errorType: 'MissingAuthenticationTokenException',
};
const FORBIDDEN: GatewayError = { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' };
const THROTTLED: GatewayError = {
  status: 429,
  message: 'Too Many Requests',
  errorType: 'TooManyRequestsException',
};
const QUOTA_EXCEEDED: GatewayError = {
  status: 429,
  message: 'Limit Exceeded',
  errorType: 'LimitExceededException',
};
const TOO_LARGE: GatewayError = { status: 413, message: 'Request Too Long' };
const BAD_GATEWAY: GatewayError = { status: 502, message: 'Internal server error' };
const NOT_READY: GatewayError = { status: 503, message: 'Service Unavailable' };
const TIMED_OUT: GatewayError = { status: 504, message: 'Endpoint request timed out' };

/**
 * The local stand-in for API Gateway (REST, Lambda proxy integration) in front of the real vend handler,
 * plus the dev identity provider's JWKS, the dev-only token endpoint and the demo page. Gateway-level
 * answers (unknown route, missing API key, usage plan, payload size) use API Gateway's own bodies.
 */
export function createLocalApiServer(options: LocalApiServerOptions): LocalApiServer {
  const now = options.now ?? Date.now;
  const meter = new UsagePlanMeter(now);
  const partnersByKey = new Map(options.partners.map((partner) => [partner.apiKey, partner]));
  const staticCache = new Map<string, Buffer>();
  let handler: ProxyHandler | undefined;

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const receivedAt = now();
    const url = new URL(`http://127.0.0.1${request.url ?? '/'}`);
    const method = request.method ?? 'GET';

    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return sendJson(response, 200, options.jwks(), { 'Cache-Control': 'max-age=60' });
    }
    if (method === 'GET' && url.pathname === '/_local/token' && options.mintToken) {
      return serveToken(response, url.searchParams, options.mintToken);
    }
    const asset = method === 'GET' ? options.assets?.[url.pathname] : undefined;
    if (asset) {
      response.writeHead(200, {
        'Content-Type': asset.type,
        'Content-Length': asset.body.length,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      response.end(asset.body);
      return;
    }
    const staticFile = method === 'GET' ? STATIC_FILES[url.pathname] : undefined;
    if (staticFile) {
      let content = staticCache.get(staticFile.file);
      if (!content) {
        content = readFileSync(staticFile.file);
        if (staticFile.file.includes('node_modules')) staticCache.set(staticFile.file, content);
      }
      response.writeHead(200, {
        'Content-Type': staticFile.type,
        'Content-Length': content.length,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      response.end(content);
      return;
    }

    const body = await readBody(request);
    if (body === 'too-large') return sendGatewayError(response, TOO_LARGE, requestId);

    const match = matchRoute(method, url.pathname);
    if (!match) return sendGatewayError(response, MISSING_TOKEN, requestId);

    let apiKey: { value: string; id: string } | undefined;
    // Browsers send preflights without the key; API Gateway's OPTIONS methods do not require one.
    if (match.route.apiKeyRequired && match.method !== 'OPTIONS') {
      const presented = headerValue(request, 'x-api-key');
      const partner = presented === undefined ? undefined : partnersByKey.get(presented);
      if (!partner) return sendGatewayError(response, FORBIDDEN, requestId);
      const verdict = meter.consume(partner);
      if (verdict === 'throttled') return sendGatewayError(response, THROTTLED, requestId);
      if (verdict === 'quota-exceeded') return sendGatewayError(response, QUOTA_EXCEEDED, requestId);
      apiKey = { value: partner.apiKey, id: partner.apiKeyId };
    }

    if (!handler) return sendGatewayError(response, NOT_READY, requestId);
    const event = buildProxyEvent({
      request,
      match,
      path: url.pathname,
      searchParams: url.searchParams,
      body,
      requestId,
      receivedAt,
      ...(apiKey ? { apiKey } : {}),
    });
    const context = buildLambdaContext(requestId, options.functionTimeoutMs ?? 10_000, now);

    let result: unknown;
    try {
      result = await withTimeout(handler(event, context), INTEGRATION_TIMEOUT_MS);
    } catch (error) {
      const timedOut = error instanceof IntegrationTimeout;
      return sendGatewayError(response, timedOut ? TIMED_OUT : BAD_GATEWAY, requestId);
    }
    if (!isProxyResult(result)) return sendGatewayError(response, BAD_GATEWAY, requestId);
    sendProxyResult(response, result, requestId);
  };

  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) sendGatewayError(response, BAD_GATEWAY, newRequestId());
      else response.destroy();
    });
  });

  return {
    server,
    setHandler(next) {
      handler = next;
    },
  };
}

function serveToken(
  response: ServerResponse,
  query: URLSearchParams,
  mint: NonNullable<LocalApiServerOptions['mintToken']>,
): void {
  const sub = query.get('sub') ?? '';
  const groups = (query.get('groups') ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  const ttl = query.get('ttl');
  try {
    const ttlSeconds = ttl === null ? undefined : Number(ttl);
    const token = mint({ sub, groups, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
    sendJson(response, 200, { token, tokenType: 'Bearer' }, { 'Cache-Control': 'no-store' });
  } catch (error) {
    sendJson(response, 400, { message: (error as Error).message });
  }
}

/** Reads the whole body; past the gateway's limit the rest is drained and dropped. */
function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => resolveBody(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<APIGatewayProxyResult>;
  return (
    typeof result.statusCode === 'number' &&
    Number.isInteger(result.statusCode) &&
    result.statusCode >= 100 &&
    result.statusCode <= 599 &&
    (result.body === undefined || typeof result.body === 'string')
  );
}

/** Headers from both maps, as API Gateway merges them (the multi-value entries win on a clash). */
function sendProxyResult(response: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  const body = result.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  if (!headers.has('content-type')) {
    headers.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  }
  headers.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  headers.set('content-length', { name: 'Content-Length', values: [String(body.length)] });
  for (const { name, values } of headers.values()) {
    response.setHeader(name, values.length === 1 ? values[0]! : values);
  }
  response.statusCode = result.statusCode;
  response.end(body);
}

function sendGatewayError(response: ServerResponse, error: GatewayError, requestId: string): void {
  sendJson(
    response,
    error.status,
    { message: error.message },
    {
      'x-amzn-RequestId': requestId,
      ...(error.errorType ? { 'x-amzn-ErrorType': error.errorType } : {}),
    },
  );
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

class IntegrationTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeout()), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
