import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, CORS, ERROR_STATUS, UNCACHEABLE_HEADERS, type ErrorBody } from '../contract';
import {
  InvalidRequestError,
  RateLimitedError,
  UnauthenticatedError,
  UpstreamUnavailableError,
} from '../core/errors';
import { MethodNotAllowedError } from './http-errors';

const INTERNAL_MESSAGE = 'Something went wrong on our side.';

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3): no error code when credentials are missing
 * (§3.1), `invalid_token` with a description that tells an expired token (refresh it) from an invalid
 * one (get a new one) otherwise. The body stays the same generic message in all three cases.
 */
function challengeOf(error: UnauthenticatedError): string {
  if (error.scheme === 'ApiKey') return 'ApiKey header="x-api-key"';
  switch (error.reason) {
    case 'missing':
      return 'Bearer';
    case 'expired':
      return 'Bearer error="invalid_token", error_description="The access token expired"';
    default:
      return 'Bearer error="invalid_token", error_description="The access token is invalid"';
  }
}

export interface ResponseContext {
  readonly requestId: string;
  /** The request's `Origin` header, if any. */
  readonly origin?: string;
  readonly allowedOrigins: readonly string[];
}

/**
 * Headers on every response. Nothing the API returns may be cached by a browser or a proxy: a success
 * carries a bearer URL. CORS headers only for an origin configured exactly.
 */
export function responseHeaders(context: ResponseContext): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...UNCACHEABLE_HEADERS,
    'X-Request-Id': context.requestId,
  };
  if (isAllowedOrigin(context)) {
    headers['Access-Control-Allow-Origin'] = context.origin!;
    headers['Access-Control-Expose-Headers'] = CORS.exposeHeaders.join(', ');
    headers.Vary = 'Origin';
  }
  return headers;
}

export function isAllowedOrigin(context: ResponseContext): boolean {
  return context.origin !== undefined && context.allowedOrigins.includes(context.origin);
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  context: ResponseContext,
): APIGatewayProxyResult {
  return { statusCode, headers: responseHeaders(context), body: JSON.stringify(body) };
}

/**
 * `Retry-After` of a 503 (a dependency down or past its deadline): 1 to 3 seconds, drawn per answer, so that
 * the callers of one failed burst do not come back at the same moment and fail it again together.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = { min: 1, max: 3 } as const;

function unavailableRetryAfterSeconds(random: () => number = Math.random): number {
  const { min, max } = UNAVAILABLE_RETRY_AFTER_SECONDS;
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * The response of a failed request: `{"error": {code, message, requestId, details?}}`. Only an API
 * error's own (caller-safe) message is shown; anything else is a generic 500 INTERNAL.
 */
export function errorResponse(error: unknown, context: ResponseContext): APIGatewayProxyResult {
  if (!(error instanceof ApiError)) {
    const body: ErrorBody = {
      error: { code: 'INTERNAL', message: INTERNAL_MESSAGE, requestId: context.requestId },
    };
    return jsonResponse(ERROR_STATUS.INTERNAL, body, context);
  }
  const status = ERROR_STATUS[error.code];
  const details =
    error instanceof InvalidRequestError && error.details.length > 0 ? error.details : undefined;
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      requestId: context.requestId,
      ...(details ? { details } : {}),
    },
  };
  const response = jsonResponse(status, body, context);
  if (error instanceof UnauthenticatedError) {
    response.headers = { ...response.headers, 'WWW-Authenticate': challengeOf(error) };
  }
  if (error instanceof RateLimitedError) {
    const retryAfter = Math.max(1, Math.ceil(error.retryAfterSeconds));
    response.headers = { ...response.headers, 'Retry-After': String(retryAfter) };
    // The place admission gave the request, to the millisecond: whole seconds send everyone told the same
    // second back at its start, where a limit takes only its burst.
    if (error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs)) {
      const ms = Math.min(retryAfter * 1000, Math.max(1, Math.ceil(error.retryAfterMs)));
      response.headers['Retry-After-Ms'] = String(ms);
    }
  }
  if (error instanceof UpstreamUnavailableError) {
    response.headers = { ...response.headers, 'Retry-After': String(unavailableRetryAfterSeconds()) };
  }
  if (error instanceof MethodNotAllowedError && error.allow) {
    response.headers = { ...response.headers, Allow: error.allow };
  }
  return response;
}
