/** An error answered the way the service answers it: status, `x-amzn-ErrorType` and `{"Message"}`. */
export class ServiceError extends Error {
  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
    /** The signature errors of the AWS front door use a lowercase `message` member. */
    readonly lowercaseMessage = false,
  ) {
    super(message);
    this.name = errorType;
  }
}

export const STREAM_NOT_FOUND = 'The requested stream is not found or not active.';
export const NO_FRAGMENTS = 'No fragments found in the stream for the streaming request.';

export const invalidArgument = (message: string): ServiceError =>
  new ServiceError('InvalidArgumentException', 400, message);

export const streamNotFound = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', 404, STREAM_NOT_FOUND);

export const noFragments = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', 404, NO_FRAGMENTS);

export const clientLimitExceeded = (message = 'Rate exceeded for this operation.'): ServiceError =>
  new ServiceError('ClientLimitExceededException', 400, message);

/** Faults an operator can inject, with the status the service answers them with. */
export const INJECTABLE_ERRORS = {
  InternalFailure: 500,
  ServiceUnavailable: 503,
  ClientLimitExceeded: 400,
} as const;

export type InjectableError = keyof typeof INJECTABLE_ERRORS;

export function injectedError(kind: InjectableError): ServiceError {
  if (kind === 'ClientLimitExceeded') return clientLimitExceeded('Injected throttling.');
  return new ServiceError(kind, INJECTABLE_ERRORS[kind], `Injected ${kind}.`);
}
