/**
 * Every error code the API answers with, and its HTTP status. Codes are stable: clients branch on them.
 * Several codes may share a status (404: no such route, no such stream, no media).
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  NO_MEDIA: 404,
  /** Admin API: no grant of that id under that principal. */
  GRANT_NOT_FOUND: 404,
  /** Admin API: the principal is not revoked. */
  REVOCATION_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** Admin API: the grant belongs to the stack (a partner grant of `cdk.json`): change it there. */
  MANAGED_BY_STACK: 409,
  /** Admin API: `If-Match` names another version than the stored one, or `If-None-Match: *` met one. */
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STREAM_NOT_PLAYABLE: 422,
  /** Admin API: a change of a grant needs `If-Match` (replace that version) or `If-None-Match: *` (create). */
  PRECONDITION_REQUIRED: 428,
  RATE_LIMITED: 429,
  /** A bug: a generic message, nothing internal. */
  INTERNAL: 500,
  UPSTREAM_ERROR: 502,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const satisfies Readonly<Record<string, number>>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error the API answers with: its `code` gives the status (`ERROR_STATUS`), its message is safe to show
 * a caller. Anything thrown that is not one is a 500 INTERNAL with a generic message.
 */
export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** What was wrong with one field of a request; never the offending value. */
export interface ErrorDetail {
  /** JSON path of the offending field, e.g. `end` or `body`. */
  readonly field: string;
  readonly issue: string;
}

/** The body of every error answer: `{"error": {code, message, requestId, details?}}`. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly requestId: string;
    /** For INVALID_REQUEST: every problem found at once. */
    readonly details?: readonly ErrorDetail[];
  };
}
