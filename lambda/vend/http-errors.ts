import { ApiError } from '../contract';

/** Errors of HTTP alone, which the function answers before the core is involved. */

export class NotFoundRouteError extends ApiError {
  readonly code = 'NOT_FOUND';
}

export class MethodNotAllowedError extends ApiError {
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(
    message: string,
    /** Methods the resource does answer, for the `Allow` header. */
    readonly allow?: string,
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}
