import { UNCACHEABLE_HEADERS } from './headers';

/**
 * Cross-origin access for browsers, on the routes whose credentials browsers hold (`CREDENTIALS`), and
 * only for the exact origins a deployment configures. API Gateway answers the preflights (MOCK methods of
 * the stack, and the local API alike); the function and the edge answers carry the other CORS headers.
 */
export const CORS = {
  /** Request headers a browser may send: its bearer token and a JSON body. */
  allowHeaders: ['Authorization', 'Content-Type'],
  /**
   * Response headers a page may read besides the CORS-safelisted ones: the request id, how long to wait,
   * and the 401 challenge that tells an expired token from an invalid one.
   */
  exposeHeaders: ['X-Request-Id', 'Retry-After', 'Retry-After-Ms', 'WWW-Authenticate'],
  /** How long a browser may reuse a preflight answer. */
  maxAgeSeconds: 600,
  /** The status of a preflight answer. */
  preflightStatus: 204,
} as const;

/**
 * The fixed headers of a preflight answer for a resource taking `methods` (its `Access-Control-Allow-Origin`
 * is the request's origin when it is configured, and absent otherwise).
 */
export function preflightHeaders(methods: readonly string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(','),
    'Access-Control-Allow-Headers': CORS.allowHeaders.join(','),
    'Access-Control-Max-Age': String(CORS.maxAgeSeconds),
    Vary: 'Origin',
    ...UNCACHEABLE_HEADERS,
  };
}
