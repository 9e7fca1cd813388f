import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { STAGE_THROTTLE, type FunctionName, type GatewayResponseType } from '../../lambda/contract';
import {
  sendGatewayResponse,
  sendIamRefusal,
  sendPreflight,
  sendRoutingAnswer,
  type EdgeRequest,
} from './gateway-responses';
import { authorizeIamRequest, type IamIdentity } from './iam-authorization';
import { buildLambdaContext, buildProxyEvent, newRequestId } from './proxy-event';
import { createRequestValidator, mediaType } from './request-validator';
import { resolveRequest } from './routes';
import { TokenBucket, UsagePlanMeter, type LocalPartner } from './usage-plan';

/** What the gateway invokes: the function's instance pool, or a handler in this process (tests). */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export interface GatewayOptions {
  partners: readonly LocalPartner[];
  /** Epoch ms; drives the usage plans and the Lambda context deadline. */
  now?: () => number;
  /** Function timeout given to the handler through `context.getRemainingTimeInMillis()`. */
  functionTimeoutMs?: number;
  /**
   * Exact origins of web front ends, as the stack's `allowedOrigins`: preflights are answered and edge
   * answers carry CORS headers only when there are some. Default none.
   */
  allowedOrigins?: readonly string[];
  /**
   * The stage throttle (requests per second and burst over the whole API), as the stack sets it: beyond
   * it, API Gateway's THROTTLED 429. Default the stack's default (`STAGE_THROTTLE` of the contract).
   */
  stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
}

export interface Gateway {
  /** Answers one API request as API Gateway (REST, Lambda proxy integration) would. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
  /**
   * Installs the handler of a function once its environment is ready (calls of its routes before that
   * answer 500); without a name, the handler of every function that has none of its own (tests).
   */
  setHandler(handler: ProxyHandler, fn?: FunctionName): void;
  /** Sets the configured origins (known once the API listens). */
  setAllowedOrigins(origins: readonly string[]): void;
}

/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * The local stand-in for API Gateway, built as the stack builds the API: payload limit, routes, the
 * MOCK preflights and answers for requests no route takes, partner API keys and their usage plans, the
 * request validator, the proxy event, and API Gateway's own answers as the stack customises them
 * (`GATEWAY_RESPONSES` of the contract) where it answers before or instead of the function.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const now = options.now ?? Date.now;
  const meter = new UsagePlanMeter(now);
  const stageBucket = new TokenBucket(options.stageThrottle ?? STAGE_THROTTLE, now);
  const partnersByKey = new Map(options.partners.map((partner) => [partner.apiKey, partner]));
  const validBody = createRequestValidator();
  let allowedOrigins = options.allowedOrigins ?? [];
  const handlers = new Map<FunctionName, ProxyHandler>();
  // Set without a function name: every function's routes go to it unless one has its own (tests).
  let defaultHandler: ProxyHandler | undefined;

  const handle = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const requestId = newRequestId();
    const receivedAt = now();
    const method = request.method ?? 'GET';
    const origin = headerValue(request, 'origin');
    const edge: EdgeRequest = { requestId, allowedOrigins, ...(origin !== undefined ? { origin } : {}) };
    const refuse = (type: GatewayResponseType): void => sendGatewayResponse(response, type, edge);
    // The stage throttle comes first: every method of the stage counts, MOCK ones included.
    if (!stageBucket.take()) {
      request.resume();
      return refuse('THROTTLED');
    }

    const body = await readBody(request);
    if (body === 'too-large') return refuse('REQUEST_TOO_LARGE');

    const resolution = resolveRequest(method, url.pathname, allowedOrigins.length > 0);
    if (resolution.kind === 'preflight') return sendPreflight(response, resolution.methods, edge);
    if (resolution.kind === 'answer') {
      // The MOCK methods take JSON only (passthrough NEVER): another content type is API Gateway's 415.
      const contentType = headerValue(request, 'content-type');
      if (contentType !== undefined && mediaType(contentType) !== 'application/json') {
        return refuse('UNSUPPORTED_MEDIA_TYPE');
      }
      return sendRoutingAnswer(response, resolution.answer, edge, resolution.allow);
    }
    const { match } = resolution;

    let iam: IamIdentity | undefined;
    // AWS_IAM is checked before anything else of the method (its API key, its request validator): an
    // unsigned or badly signed request learns nothing about the route, and never reaches the function.
    if (match.route.awsIam) {
      const rawPath = (request.url ?? '/').split('?')[0]!;
      const outcome = await authorizeIamRequest(request, rawPath, url.searchParams, body, now());
      if (!outcome.ok) return sendIamRefusal(response, outcome.refusal, edge);
      iam = outcome.identity;
    }

    let apiKey: { value: string; id: string } | undefined;
    if (match.route.apiKeyRequired) {
      const presented = headerValue(request, 'x-api-key');
      const partner = presented === undefined ? undefined : partnersByKey.get(presented);
      if (!partner) return refuse('INVALID_API_KEY');
      const verdict = meter.consume(partner);
      if (verdict === 'throttled') return refuse('THROTTLED');
      if (verdict === 'quota-exceeded') return refuse('QUOTA_EXCEEDED');
      apiKey = { value: partner.apiKey, id: partner.apiKeyId };
    }
    if (match.route.requestBody && !validBody(request, body, match.route.requestBody)) {
      return refuse('BAD_REQUEST_BODY');
    }

    const handler = handlers.get(match.route.function) ?? defaultHandler;
    if (!handler) return refuse('DEFAULT_5XX');
    const event = buildProxyEvent({
      request,
      match,
      path: url.pathname,
      searchParams: url.searchParams,
      body,
      requestId,
      receivedAt,
      ...(apiKey ? { apiKey } : {}),
      ...(iam ? { iam } : {}),
    });
    const context = buildLambdaContext(
      requestId,
      options.functionTimeoutMs ?? 10_000,
      now,
      match.route.function,
    );

    let result: unknown;
    try {
      result = await withTimeout(handler(event, context), INTEGRATION_TIMEOUT_MS);
    } catch (error) {
      return refuse(integrationFailure(error));
    }
    // A result that is not a proxy result is a failed integration (API Gateway's 502, DEFAULT_5XX).
    if (!isProxyResult(result)) return refuse('DEFAULT_5XX');
    sendProxyResult(response, result, requestId);
  };

  return {
    handle,
    setHandler(next, fn) {
      if (fn !== undefined) handlers.set(fn, next);
      else defaultHandler = next;
    },
    setAllowedOrigins(origins) {
      allowedOrigins = [...origins];
    },
  };
}

/**
 * Lambda refused the invocation (its concurrency is used up: API Gateway answers 500, "If the Lambda API
 * rejects the invocation request, API Gateway returns a 500 error code", AWS Lambda Developer Guide), or
 * the function failed (502): both are DEFAULT_5XX; no answer in 29 s is INTEGRATION_TIMEOUT.
 */
function integrationFailure(error: unknown): GatewayResponseType {
  return error instanceof IntegrationTimeout ? 'INTEGRATION_TIMEOUT' : 'DEFAULT_5XX';
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

class IntegrationTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeout()), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
