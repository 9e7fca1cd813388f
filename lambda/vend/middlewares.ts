import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiError } from '../contract';
import { UpstreamTimeoutError, UpstreamUnavailableError, type Dependency } from '../core/errors';
import { errorResponse, type ResponseContext } from './responses';
import { header } from './http-request';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

/** The id every response, log line and error body carries: API Gateway's request id. */
export function requestIdOf(event: APIGatewayProxyEvent, context: Context): string {
  return event.requestContext?.requestId || context.awsRequestId || 'unknown';
}

export function responseContextOf(
  event: APIGatewayProxyEvent,
  context: Context,
  allowedOrigins: readonly string[],
): ResponseContext {
  const origin = header(event, 'origin');
  return {
    requestId: requestIdOf(event, context),
    allowedOrigins,
    ...(origin !== undefined ? { origin } : {}),
  };
}

/** Every log line of the invocation carries the request id as its correlation id. */
export function correlationId(loggers: readonly Logger[]): HttpMiddleware {
  return {
    before: (request) => {
      for (const logger of loggers) logger.setCorrelationId(requestIdOf(request.event, request.context));
    },
  };
}

/**
 * Publishes the EMF metrics of the invocation, if it recorded any. Unlike Powertools' own middleware it
 * stays quiet when there is nothing to publish (most error paths).
 */
export function publishMetrics(metrics: Metrics): HttpMiddleware {
  const publish = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}

/**
 * Turns any error into the contract's error response. An API error shows its own caller-safe message;
 * anything else is a 500 INTERNAL (its name goes to the refusal's audit line, never its message or
 * stack, which may hold a URL or a token). It sets the response without returning it, so the audit,
 * metrics and logger middlewares still run.
 */
export function httpErrors(options: { allowedOrigins: readonly string[] }): HttpMiddleware {
  return {
    onError: (request) => {
      request.response = errorResponse(
        request.error,
        responseContextOf(request.event, request.context, options.allowedOrigins),
      );
    },
  };
}

/** What the audit line of a refusal says about the request beyond its route, status and code. */
export interface RefusalFacts {
  /** `user:<sub>` or `partner:<apiKeyId>`, once authenticated. */
  readonly principal?: string;
}

export interface Refusal {
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
  readonly status: number;
  readonly code: string;
  /** The class name of an error that is not an API error (a 500). */
  readonly errorName?: string;
  /** The dependency that failed or missed its deadline, for a 503 or 504 that knows it. */
  readonly dependency?: Dependency;
}

/**
 * Calls `onRefusal` once for every answer of the function that is not a 2xx, thrown or returned, with
 * the status and error code the caller got. Register it before `httpErrors` (middy runs onError handlers
 * last-registered first), so that it sees the response `httpErrors` made.
 */
export function refusals(onRefusal: (refusal: Refusal) => void): HttpMiddleware {
  const report = (
    request: { event: APIGatewayProxyEvent; context: Context; response?: APIGatewayProxyResult | null },
    error?: unknown,
  ): void => {
    const status = request.response?.statusCode;
    if (status === undefined || (status >= 200 && status < 300)) return;
    onRefusal({
      event: request.event,
      context: request.context,
      status,
      code: errorCodeOf(request.response?.body),
      ...(error !== undefined && !(error instanceof ApiError)
        ? { errorName: error instanceof Error ? error.name : typeof error }
        : {}),
      ...((error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError) &&
      error.dependency !== undefined
        ? { dependency: error.dependency }
        : {}),
    });
  };
  return {
    after: (request) => report(request),
    onError: (request) => report(request, request.error),
  };
}

function errorCodeOf(body: string | undefined): string {
  try {
    const code = (JSON.parse(body ?? '') as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}
