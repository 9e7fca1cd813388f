import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { TooManyRequestsException } from '../lambda-runtime/invoke-errors';
import {
  FUNCTION_FAILED,
  INTEGRATION_TIMEOUT,
  INVALID_API_KEY,
  LAMBDA_REFUSED,
  MISSING_AUTHENTICATION_TOKEN,
  NOT_READY,
  QUOTA_EXCEEDED,
  REQUEST_TOO_LARGE,
  THROTTLED,
  sendGatewayAnswer,
  sendIamRefusal,
  type GatewayAnswer,
} from './gateway-responses';
import { authorizeIamRequest, type IamIdentity } from './iam-authorization';
import { buildLambdaContext, buildProxyEvent, newRequestId } from './proxy-event';
import { matchRoute } from './routes';
import { UsagePlanMeter, type LocalPartner } from './usage-plan';
import type { FunctionName } from '../../lambda/contract';

/** What the gateway invokes: the function's instance pool, or a handler in this process (tests). */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export interface GatewayOptions {
  partners: readonly LocalPartner[];
  /** Epoch ms; drives the usage plans and the Lambda context deadline. */
  now?: () => number;
  /** Function timeout given to the handler through `context.getRemainingTimeInMillis()`. */
  functionTimeoutMs?: number;
}

export interface Gateway {
  /** Answers one API request as API Gateway (REST, Lambda proxy integration) would. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
  /**
   * Installs the handler of a function (default `vend`) once its environment is ready; calls of its
   * routes before that answer 503.
   */
  setHandler(handler: ProxyHandler, fn?: FunctionName): void;
}

/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * The local stand-in for API Gateway: payload limit, routes, partner API keys and their usage plans, the
 * proxy event, and API Gateway's own answers (in its own bodies) where it answers before or instead of
 * the function.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const now = options.now ?? Date.now;
  const meter = new UsagePlanMeter(now);
  const partnersByKey = new Map(options.partners.map((partner) => [partner.apiKey, partner]));
  const handlers = new Map<FunctionName, ProxyHandler>();

  const handle = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const requestId = newRequestId();
    const receivedAt = now();
    const method = request.method ?? 'GET';

    const body = await readBody(request);
    if (body === 'too-large') return sendGatewayAnswer(response, REQUEST_TOO_LARGE, requestId);

    const match = matchRoute(method, url.pathname);
    if (!match) return sendGatewayAnswer(response, MISSING_AUTHENTICATION_TOKEN, requestId);

    let apiKey: { value: string; id: string } | undefined;
    // Browsers send preflights without the key; API Gateway's OPTIONS methods do not require one.
    if (match.route.apiKeyRequired && match.method !== 'OPTIONS') {
      const presented = headerValue(request, 'x-api-key');
      const partner = presented === undefined ? undefined : partnersByKey.get(presented);
      if (!partner) return sendGatewayAnswer(response, INVALID_API_KEY, requestId);
      const verdict = meter.consume(partner);
      if (verdict === 'throttled') return sendGatewayAnswer(response, THROTTLED, requestId);
      if (verdict === 'quota-exceeded') return sendGatewayAnswer(response, QUOTA_EXCEEDED, requestId);
      apiKey = { value: partner.apiKey, id: partner.apiKeyId };
    }

    let iam: IamIdentity | undefined;
    // API Gateway checks AWS_IAM before anything reaches the function; OPTIONS is no method of these routes.
    if (match.route.awsIam) {
      const rawPath = (request.url ?? '/').split('?')[0]!;
      const outcome = await authorizeIamRequest(request, rawPath, url.searchParams, body, now());
      if (!outcome.ok) return sendIamRefusal(response, outcome.refusal, requestId);
      iam = outcome.identity;
    }

    const handler = handlers.get(match.route.function);
    if (!handler) return sendGatewayAnswer(response, NOT_READY, requestId);
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
      return sendGatewayAnswer(response, integrationFailure(error), requestId);
    }
    if (!isProxyResult(result)) return sendGatewayAnswer(response, FUNCTION_FAILED, requestId);
    sendProxyResult(response, result, requestId);
  };

  return {
    handle,
    setHandler(next, fn = 'vend') {
      handlers.set(fn, next);
    },
  };
}

function integrationFailure(error: unknown): GatewayAnswer {
  if (error instanceof IntegrationTimeout) return INTEGRATION_TIMEOUT;
  if (error instanceof TooManyRequestsException) return LAMBDA_REFUSED;
  return FUNCTION_FAILED;
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
