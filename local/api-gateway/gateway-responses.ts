import type { ServerResponse } from 'node:http';
import {
  allowOriginFor,
  CORS,
  EDGE_ORIGIN_POLICY,
  edgeAnswerHeaders,
  edgeCorsHeaders,
  edgeErrorBody,
  GATEWAY_RESPONSES,
  preflightHeaders,
  statusOf,
  type EdgeAnswer,
  type GatewayResponseType,
} from '../../lambda/contract';
import { sendJson } from '../json-response';

/**
 * `x-amzn-ErrorType` of the gateway responses that send one in AWS (API Gateway keeps it when a gateway
 * response is customised).
 */
const ERROR_TYPES: Partial<Record<GatewayResponseType, string>> = {
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  INVALID_API_KEY: 'ForbiddenException',
  THROTTLED: 'TooManyRequestsException',
  QUOTA_EXCEEDED: 'LimitExceededException',
  BAD_REQUEST_BODY: 'BadRequestException',
  BAD_REQUEST_PARAMETERS: 'BadRequestException',
  UNSUPPORTED_MEDIA_TYPE: 'UnsupportedMediaTypeException',
};

/** What the local API knows of the request when API Gateway answers it itself. */
export interface EdgeRequest {
  readonly requestId: string;
  /** The request's `Origin` header, if any. */
  readonly origin?: string;
  /** The configured origins (`ALLOWED_ORIGINS`); none: no CORS headers at all, as in the stack. */
  readonly allowedOrigins: readonly string[];
}

function corsHeaders(policy: 'reflect' | 'allowList', request: EdgeRequest): Record<string, string> {
  if (request.allowedOrigins.length === 0) return {};
  const allowOrigin = allowOriginFor(policy, request.origin, request.allowedOrigins);
  return {
    ...edgeCorsHeaders(),
    ...(allowOrigin !== undefined ? { 'Access-Control-Allow-Origin': allowOrigin } : {}),
  };
}

/**
 * A gateway response of API Gateway, as the stack customises it (`GATEWAY_RESPONSES` of the contract):
 * the service's error shape, its fixed headers, and the request's origin reflected once origins are
 * configured (a gateway response can only copy a request header).
 */
export function sendGatewayResponse(
  response: ServerResponse,
  type: GatewayResponseType,
  request: EdgeRequest,
): void {
  const answer = GATEWAY_RESPONSES[type];
  const errorType = ERROR_TYPES[type];
  sendJson(response, statusOf(answer), edgeErrorBody(answer, request.requestId), {
    ...edgeAnswerHeaders(answer),
    ...corsHeaders(EDGE_ORIGIN_POLICY.gatewayResponse, request),
    'x-amzn-RequestId': request.requestId,
    ...(errorType !== undefined ? { 'x-amzn-ErrorType': errorType } : {}),
  });
}

/**
 * An answer of the API's MOCK methods (`ANY` on a resource, `/{proxy+}`): the contract's `ROUTING_ANSWERS`,
 * with `Allow` and CORS headers for configured origins only, as the stack's VTL sets them.
 */
export function sendRoutingAnswer(
  response: ServerResponse,
  answer: EdgeAnswer,
  request: EdgeRequest,
  allow?: readonly string[],
): void {
  sendJson(response, statusOf(answer), edgeErrorBody(answer, request.requestId), {
    ...edgeAnswerHeaders(answer),
    ...(allow ? { Allow: allow.join(', ') } : {}),
    ...corsHeaders(EDGE_ORIGIN_POLICY.routing, request),
    'x-amzn-RequestId': request.requestId,
  });
}

/** The MOCK preflight of a browser route's resource (`preflightHeaders` of the contract). */
export function sendPreflight(
  response: ServerResponse,
  methods: readonly string[],
  request: EdgeRequest,
): void {
  const allowOrigin = allowOriginFor(EDGE_ORIGIN_POLICY.preflight, request.origin, request.allowedOrigins);
  response.writeHead(CORS.preflightStatus, {
    ...preflightHeaders(methods),
    ...(allowOrigin !== undefined ? { 'Access-Control-Allow-Origin': allowOrigin } : {}),
    'Content-Length': 0,
    'x-amzn-RequestId': request.requestId,
  });
  response.end();
}

/**
 * A request to an AWS_IAM route that API Gateway refused (`iam-authorization.ts`): the gateway response
 * that serves it in AWS, as the stack customises it (401 or 403 in the service's error shape, no data),
 * with API Gateway's error type; never the request's credentials.
 */
export function sendIamRefusal(
  response: ServerResponse,
  refusal: { readonly errorType: string; readonly responseType: GatewayResponseType },
  request: EdgeRequest,
): void {
  const answer = GATEWAY_RESPONSES[refusal.responseType];
  sendJson(response, statusOf(answer), edgeErrorBody(answer, request.requestId), {
    ...edgeAnswerHeaders(answer),
    ...corsHeaders(EDGE_ORIGIN_POLICY.gatewayResponse, request),
    'x-amzn-RequestId': request.requestId,
    'x-amzn-ErrorType': refusal.errorType,
  });
}
