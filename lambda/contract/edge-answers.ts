import { CORS } from './cors';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from './errors';
import { UNCACHEABLE_HEADERS } from './headers';
import { MAX_REQUEST_BODY_BYTES } from './request-bodies';

/**
 * Answers the edge gives before or instead of the function: API Gateway's gateway responses, the API's
 * own MOCK methods (unknown routes and methods) and AWS WAF's custom responses. One table drives the stack
 * (`lib/constructs/vend-api.ts`, `lib/constructs/web-acl.ts`) and the local API
 * (`local/api-gateway/gateway-responses.ts`), so that what a client meets locally is what deploys. Every
 * answer is in the service's error shape; its status is its code's (`ERROR_STATUS`).
 */
export interface EdgeAnswer {
  readonly code: ErrorCode;
  /** Fixed text, safe to show a caller; no `$`, `#` or `\` (the stack writes it into VTL templates). */
  readonly message: string;
  /** A static `Retry-After` (API Gateway and WAF can only send fixed header values). */
  readonly retryAfterSeconds?: number;
  /** A static `WWW-Authenticate` for a 401. */
  readonly challenge?: string;
}

/**
 * Every gateway response type of a REST API (AWS::ApiGateway::GatewayResponse `ResponseType`), with the
 * status API Gateway gives it when it is not customised. `null`: the fallback types, which keep the status
 * of the answer they stand in for.
 */
export const GATEWAY_RESPONSE_DEFAULT_STATUS = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  DEFAULT_4XX: null,
  DEFAULT_5XX: null,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
} as const satisfies Readonly<Record<string, number | null>>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSE_DEFAULT_STATUS;

const SOMETHING_WENT_WRONG = 'Something went wrong on our side.';

/**
 * What the API answers for each gateway response type. Each one is customised, so none falls back to
 * API Gateway's `{"message": ...}` body.
 */
export const GATEWAY_RESPONSES: Readonly<Record<GatewayResponseType, EdgeAnswer>> = {
  /**
   * In AWS one gateway response serves a request to an AWS_IAM route (the admin API) without an AWS
   * signature (`MissingAuthenticationTokenException`) or with an `Authorization` header that is not one,
   * such as a user's bearer token (`IncompleteSignatureException`); and it would serve a request no method
   * takes, which the API's MOCK methods answer first (`NO_ROUTE`, `NO_METHOD`, 404 and 405). So whatever
   * reaches it is a request that lacks the admin API's credentials: 401, never a 404 for an admin route
   * and never data.
   */
  MISSING_AUTHENTICATION_TOKEN: {
    code: 'UNAUTHENTICATED',
    message: 'This route takes requests signed with AWS Signature Version 4 only.',
    challenge: 'AWS4-HMAC-SHA256',
  },
  /** An AWS_IAM route: the caller's IAM policy does not allow execute-api:Invoke on it. */
  ACCESS_DENIED: { code: 'FORBIDDEN', message: 'Access to this route is denied.' },
  /** An AWS_IAM route: a signature with an expired session token. */
  EXPIRED_TOKEN: { code: 'FORBIDDEN', message: 'The AWS credentials of the request have expired.' },
  /** An AWS_IAM route: a signature that does not match, of another scope, or too old or too new. */
  INVALID_SIGNATURE: { code: 'FORBIDDEN', message: 'The AWS signature of the request is not valid.' },
  /** A partner route without an API key, or with one that is unknown, disabled or not on this stage. */
  INVALID_API_KEY: {
    code: 'UNAUTHENTICATED',
    message: 'A valid API key is required.',
    challenge: 'ApiKey header="x-api-key"',
  },
  UNAUTHORIZED: {
    code: 'UNAUTHENTICATED',
    message: 'The request is not authenticated.',
    challenge: 'Bearer',
  },
  BAD_REQUEST_BODY: {
    code: 'INVALID_REQUEST',
    message:
      "The request body does not match the route's schema (malformed JSON, an unknown field or a wrong type).",
  },
  BAD_REQUEST_PARAMETERS: { code: 'INVALID_REQUEST', message: 'The request parameters are not valid.' },
  RESOURCE_NOT_FOUND: { code: 'NOT_FOUND', message: 'No such route.' },
  REQUEST_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'The request is larger than the API accepts.' },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'The request body must be application/json.',
  },
  /** The stage throttle, or a partner's usage plan rate and burst: tokens come back within a second. */
  THROTTLED: { code: 'RATE_LIMITED', message: 'Too many requests: slow down.', retryAfterSeconds: 1 },
  /** A partner's usage plan quota: it resets at the start of the plan's day, week or month (UTC). */
  QUOTA_EXCEEDED: { code: 'RATE_LIMITED', message: "The API key's quota for this period is used up." },
  /** A WAF block without a custom response (every rule of the stack's web ACL has one). */
  WAF_FILTERED: { code: 'FORBIDDEN', message: 'The request was blocked by the web application firewall.' },
  INTEGRATION_TIMEOUT: { code: 'UPSTREAM_TIMEOUT', message: 'The service did not answer in time.' },
  INTEGRATION_FAILURE: { code: 'INTERNAL', message: SOMETHING_WENT_WRONG },
  API_CONFIGURATION_ERROR: { code: 'INTERNAL', message: SOMETHING_WENT_WRONG },
  AUTHORIZER_CONFIGURATION_ERROR: { code: 'INTERNAL', message: SOMETHING_WENT_WRONG },
  AUTHORIZER_FAILURE: { code: 'INTERNAL', message: SOMETHING_WENT_WRONG },
  /**
   * Any other 4xx of API Gateway's, among them an AWS_IAM route signed with an access key AWS does not
   * know (`UnrecognizedClientException`, which no gateway response type names): a refusal, 403.
   */
  DEFAULT_4XX: { code: 'FORBIDDEN', message: 'The request was refused before it reached the service.' },
  /**
   * Any other 5xx: Lambda refused the invocation (the function's concurrency is used up; API Gateway
   * answers 500), the function failed, crashed or timed out, or returned no valid proxy result (502).
   */
  DEFAULT_5XX: { code: 'INTERNAL', message: SOMETHING_WENT_WRONG },
};

/**
 * The API's own MOCK methods (no function involved): `ANY` on every resource and a greedy `/{proxy+}`,
 * so that a request no route takes gets a true 404 or 405 rather than API Gateway's 403.
 */
export const ROUTING_ANSWERS = {
  /** A path no resource of the API has, or a resource with no method of its own (e.g. `/v1`). */
  NO_ROUTE: { code: 'NOT_FOUND', message: 'No such route.' },
  /** A resource of the API asked with a method it does not take (`Allow` lists those it does). */
  NO_METHOD: { code: 'METHOD_NOT_ALLOWED', message: 'This method is not allowed on this route.' },
} as const satisfies Readonly<Record<string, EdgeAnswer>>;

/**
 * AWS WAF's custom responses (`lib/constructs/web-acl.ts`). Their bodies are fixed text: WAF has no
 * request id to put in them, so `requestId` is empty.
 */
export const WAF_ANSWERS = {
  /** The body size rule: the contract's limit, checked at the edge. */
  BODY_TOO_LARGE: {
    code: 'PAYLOAD_TOO_LARGE',
    message: `The request body must be at most ${MAX_REQUEST_BODY_BYTES} bytes.`,
  },
  /**
   * The rate rule per client IP. WAF keeps blocking while the address's count over the last five minutes
   * is above the limit; a static hint is all a WAF response can carry.
   */
  RATE_LIMITED: {
    code: 'RATE_LIMITED',
    message: 'Too many requests from this address: slow down.',
    retryAfterSeconds: 60,
  },
} as const satisfies Readonly<Record<string, EdgeAnswer>>;

/** The request id of a WAF answer: WAF's bodies are fixed text and cannot carry one. */
export const WAF_REQUEST_ID = '';

/**
 * The stage throttle's default: a token bucket over the whole stage, refilled at `rateLimit` requests per
 * second and holding `burstLimit`; beyond it API Gateway answers THROTTLED. The stack sets it (cdk.json
 * `stageThrottle` overrides it) and the local API applies it (LOCAL_STAGE_RATE_LIMIT and
 * LOCAL_STAGE_BURST_LIMIT override it for `npm start`).
 */
export const STAGE_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** The status of an edge answer: its code's. */
export function statusOf(answer: EdgeAnswer): number {
  return ERROR_STATUS[answer.code];
}

/** The body of an edge answer (the stack passes `$context.requestId`, the local API the request's id). */
export function edgeErrorBody(answer: EdgeAnswer, requestId: string): ErrorBody {
  return { error: { code: answer.code, message: answer.message, requestId } };
}

/**
 * The fixed headers of an edge answer, as the function sends them on its own errors: never cached, its
 * `Retry-After` or challenge. CORS headers come on top (`edgeCorsHeaders`).
 */
export function edgeAnswerHeaders(answer: EdgeAnswer): Record<string, string> {
  return {
    ...UNCACHEABLE_HEADERS,
    ...(answer.retryAfterSeconds !== undefined ? { 'Retry-After': String(answer.retryAfterSeconds) } : {}),
    ...(answer.challenge !== undefined ? { 'WWW-Authenticate': answer.challenge } : {}),
  };
}

/**
 * The CORS headers every answer carries once origins are configured, besides `Access-Control-Allow-Origin`
 * (which depends on who answers: see `EDGE_ORIGIN_POLICY`).
 */
export function edgeCorsHeaders(): Record<string, string> {
  return { Vary: 'Origin', 'Access-Control-Expose-Headers': CORS.exposeHeaders.join(', ') };
}

/**
 * How each kind of edge answer gets `Access-Control-Allow-Origin` when origins are configured:
 * - `allowList`: the request's `Origin` when it is one of the configured origins, else none (the function,
 *   the MOCK methods and preflights, through VTL, and WAF through one rule per origin);
 * - `reflect`: the request's `Origin`, whatever it is (gateway responses, whose headers can only be a fixed
 *   value or a copy of a request header). Their bodies hold a code, a fixed message and a request id,
 *   nothing of the caller's, and no answer allows credentials: README, "Security model".
 */
export const EDGE_ORIGIN_POLICY = {
  gatewayResponse: 'reflect',
  routing: 'allowList',
  preflight: 'allowList',
  waf: 'allowList',
} as const;

/** The `Access-Control-Allow-Origin` of an answer under `policy`, or undefined for none. */
export function allowOriginFor(
  policy: 'reflect' | 'allowList',
  origin: string | undefined,
  allowedOrigins: readonly string[],
): string | undefined {
  if (origin === undefined || origin === '' || allowedOrigins.length === 0) return undefined;
  if (policy === 'reflect') return origin;
  return allowedOrigins.includes(origin) ? origin : undefined;
}
