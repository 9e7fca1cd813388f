import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DomainError } from '../core/errors';
import { errorResponse, type ResponseContext } from '../shared/http-errors';
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
export function correlationId(logger: Logger): HttpMiddleware {
  return {
    before: (request) => {
      logger.setCorrelationId(requestIdOf(request.event, request.context));
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
 * Turns any error into the contract's error response. A domain error shows its own caller-safe message;
 * anything else is a 500 INTERNAL, logged by name only (a message or stack may hold a URL or a token).
 * It sets the response without returning it, so the metrics and logger middlewares still run.
 */
export function httpErrors(options: { logger: Logger; allowedOrigins: readonly string[] }): HttpMiddleware {
  return {
    onError: (request) => {
      const error = request.error;
      if (!(error instanceof DomainError)) {
        options.logger.error('Unhandled error', {
          errorName: error instanceof Error ? error.name : typeof error,
        });
      }
      request.response = errorResponse(
        error,
        responseContextOf(request.event, request.context, options.allowedOrigins),
      );
    },
  };
}
