import type { ServiceErrorCode } from './types.js';

/**
 * Codes the client adds to the service's own: the answer came from API Gateway or from no server at all.
 * `NOT_FOUND`: no such route. `NETWORK_ERROR`: no answer (offline, DNS, CORS refused). `TIMEOUT`: no answer in
 * time. `UNEXPECTED_RESPONSE`: an answer in neither the service's nor API Gateway's shape.
 */
export type ClientErrorCode = 'NOT_FOUND' | 'NETWORK_ERROR' | 'TIMEOUT' | 'UNEXPECTED_RESPONSE';

export type ErrorCode = ServiceErrorCode | ClientErrorCode;

export interface ApiErrorInit {
  code: ErrorCode;
  status: number;
  message: string;
  requestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
  retryAfterMs?: number | undefined;
  details?: readonly { field: string; issue: string }[] | undefined;
}

/** A refused or failed API call. Its message never holds a URL or a token. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The service's stable code (`FORBIDDEN`, `NO_MEDIA`, `RATE_LIMITED`, ...) or one of {@link ClientErrorCode}. */
  readonly code: ErrorCode;
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The service's request id, for support; absent when no server answered. */
  readonly requestId: string | undefined;
  /** From `Retry-After`, when the answer carried one. */
  readonly retryAfterSeconds: number | undefined;
  /**
   * From `Retry-After-Ms` (the service's own 429s): the same wait to the millisecond, the moment the limit has
   * room for the place it gave this request. Prefer it to `retryAfterSeconds` when present.
   */
  readonly retryAfterMs: number | undefined;
  readonly details: readonly { field: string; issue: string }[] | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.retryAfterMs = init.retryAfterMs;
    this.details = init.details;
  }

  /** Worth asking again later: throttled, a server or network fault. Everything else needs a change first. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 0 || this.status >= 500;
  }
}

export const isApiError = (value: unknown): value is ApiError => value instanceof ApiError;
