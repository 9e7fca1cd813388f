/**
 * Cross-origin access for browsers, on the routes whose credentials browsers hold (`CREDENTIALS`), and
 * only for the exact origins a deployment configures.
 */
export const CORS = {
  /** Request headers a browser may send: its bearer token and a JSON body. */
  allowHeaders: ['Authorization', 'Content-Type'],
  /** Response headers a page may read besides the CORS-safelisted ones. */
  exposeHeaders: ['X-Request-Id', 'Retry-After'],
  /** How long a browser may reuse a preflight answer. */
  maxAgeSeconds: 600,
} as const;
