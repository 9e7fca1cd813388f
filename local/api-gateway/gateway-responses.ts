import type { ServerResponse } from 'node:http';
import { ERROR_STATUS } from '../../lambda/contract';
import { sendJson } from '../json-response';

/**
 * An answer API Gateway gives on its own, before or instead of the function's. `responseType` names the
 * gateway response (AWS::ApiGateway::GatewayResponse) that customises it in a deployed API.
 */
export interface GatewayAnswer {
  readonly responseType: string;
  readonly status: number;
  readonly message: string;
  /** `x-amzn-ErrorType`, where API Gateway sends one. */
  readonly errorType?: string;
}

/** Unknown resource or method. */
export const MISSING_AUTHENTICATION_TOKEN: GatewayAnswer = {
  responseType: 'MISSING_AUTHENTICATION_TOKEN',
  status: 403,
  message: 'Missing Authentication Token',
  errorType: 'MissingAuthenticationTokenException',
};
/** A partner route without a known API key. */
export const INVALID_API_KEY: GatewayAnswer = {
  responseType: 'INVALID_API_KEY',
  status: 403,
  message: 'Forbidden',
  errorType: 'ForbiddenException',
};
/** The usage plan's rate or burst. */
export const THROTTLED: GatewayAnswer = {
  responseType: 'THROTTLED',
  status: 429,
  message: 'Too Many Requests',
  errorType: 'TooManyRequestsException',
};
/** The usage plan's quota. */
export const QUOTA_EXCEEDED: GatewayAnswer = {
  responseType: 'QUOTA_EXCEEDED',
  status: 429,
  message: 'Limit Exceeded',
  errorType: 'LimitExceededException',
};
/** Over the 10 MB payload limit of REST APIs. */
export const REQUEST_TOO_LARGE: GatewayAnswer = {
  responseType: 'REQUEST_TOO_LARGE',
  status: 413,
  message: 'Request Too Long',
};
/**
 * Lambda refused the invocation (its concurrency is used up: the Invoke API's 429
 * TooManyRequestsException). API Gateway does not pass the 429 on: "If the Lambda API rejects the
 * invocation request, API Gateway returns a 500 error code" with `{"message": "Internal server error"}`
 * (AWS Lambda Developer Guide, "Handling Lambda errors with an API Gateway API"). Only DEFAULT_5XX is
 * sure to customise it.
 */
export const LAMBDA_REFUSED: GatewayAnswer = {
  responseType: 'DEFAULT_5XX',
  status: 500,
  message: 'Internal server error',
};
/** The function failed (init or handler error, crash, timeout) or returned no valid proxy result. */
export const FUNCTION_FAILED: GatewayAnswer = {
  responseType: 'DEFAULT_5XX',
  status: 502,
  message: 'Internal server error',
};
/** The local API was asked before the function was wired in. */
export const NOT_READY: GatewayAnswer = {
  responseType: 'DEFAULT_5XX',
  status: 503,
  message: 'Service Unavailable',
};
/** No answer from the integration within API Gateway's 29 s. */
export const INTEGRATION_TIMEOUT: GatewayAnswer = {
  responseType: 'INTEGRATION_TIMEOUT',
  status: 504,
  message: 'Endpoint request timed out',
};

export function sendGatewayAnswer(response: ServerResponse, answer: GatewayAnswer, requestId: string): void {
  sendJson(
    response,
    answer.status,
    { message: answer.message },
    {
      'x-amzn-RequestId': requestId,
      ...(answer.errorType ? { 'x-amzn-ErrorType': answer.errorType } : {}),
    },
  );
}

/**
 * A request to an AWS_IAM route that API Gateway refused (`iam-authorization.ts`): 403 in the service's
 * error shape, with API Gateway's error type and message (never the request's credentials), and no data.
 */
export function sendIamRefusal(
  response: ServerResponse,
  refusal: { readonly errorType: string; readonly message: string },
  requestId: string,
): void {
  sendJson(
    response,
    ERROR_STATUS.FORBIDDEN,
    { error: { code: 'FORBIDDEN', message: refusal.message, requestId } },
    {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': requestId,
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': refusal.errorType,
    },
  );
}
