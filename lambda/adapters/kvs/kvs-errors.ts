/**
 * What a failed KVS call was, and the one table from KVS failures to domain errors.
 */
import {
  DomainError,
  InvalidRequestError,
  NoMediaError,
  RateLimitedError,
  StreamNotFoundError,
  StreamNotPlayableError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../core/errors';

const NO_FRAGMENTS = /no fragments/i;
const THROTTLING = new Set([
  'ClientLimitExceededException',
  'ThrottlingException',
  'TooManyRequestsException',
]);
const TIMEOUTS = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

type FailureKind = 'throttle' | 'timeout' | 'server' | 'network' | 'client';

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** The retry budget ran out; `lastError` is what the final attempt saw. */
export class BudgetExhaustedError extends Error {
  constructor(readonly lastError: unknown) {
    super('KVS retry budget exhausted');
  }
}

export function classify(error: unknown): FailureKind {
  const e = (error ?? {}) as SdkErrorLike;
  if (error instanceof BudgetExhaustedError) return 'timeout';
  // Already decided (e.g. an answer without a data endpoint): never retried, passed on as is.
  if (error instanceof DomainError) return 'client';
  if (e.name && THROTTLING.has(e.name)) return 'throttle';
  if ((e.name && TIMEOUTS.has(e.name)) || e.code === 'ETIMEDOUT') return 'timeout';
  const status = e.$metadata?.httpStatusCode;
  // No HTTP status: the request never got an answer (refused, reset, DNS).
  if (status === undefined) return 'network';
  if (status === 429) return 'throttle';
  if (status >= 500) return 'server';
  return 'client';
}

export function errorName(error: unknown): string {
  const kind = classify(error);
  if (kind === 'network') return 'NetworkError';
  if (kind === 'timeout') return 'TimeoutError';
  return (error as SdkErrorLike | undefined)?.name ?? 'UnknownError';
}

/**
 * One table from KVS failures to domain errors. Messages are ours: the upstream message is read only to
 * tell "no fragments" from "no stream", and never passed on.
 */
export function toDomainError(error: unknown): DomainError {
  const failure = error instanceof BudgetExhaustedError ? error.lastError : error;
  if (failure instanceof DomainError) return failure;
  const kind = classify(failure);
  if (kind === 'throttle') {
    return new RateLimitedError(
      'Kinesis Video Streams is throttling requests for this stream; retry shortly.',
      1,
    );
  }
  if (kind === 'timeout' || failure === undefined) {
    return new UpstreamTimeoutError('Kinesis Video Streams did not answer in time.');
  }
  if (kind === 'server' || kind === 'network') {
    return new UpstreamUnavailableError('Kinesis Video Streams is unavailable.');
  }
  const { name, message } = failure as SdkErrorLike;
  switch (name) {
    case 'ResourceNotFoundException':
      return NO_FRAGMENTS.test(message ?? '') ? new NoMediaError() : new StreamNotFoundError();
    case 'InvalidArgumentException':
      return new InvalidRequestError(
        'Kinesis Video Streams rejected the playback parameters (for example a time range outside the retained media).',
      );
    case 'UnsupportedStreamMediaTypeException':
      return new StreamNotPlayableError(
        'The stream is not playable: its media type is not supported for HLS/DASH (UnsupportedStreamMediaType).',
      );
    case 'NoDataRetentionException':
      return new StreamNotPlayableError(
        'The stream is not playable: it does not retain data (NoDataRetention).',
      );
    case 'MissingCodecPrivateDataException':
      return new StreamNotPlayableError(
        'The stream is not playable: its fragments lack codec private data (MissingCodecPrivateData).',
      );
    case 'InvalidCodecPrivateDataException':
      return new StreamNotPlayableError(
        'The stream is not playable: its codec private data is invalid (InvalidCodecPrivateData).',
      );
    default:
      // NotAuthorizedException and any other refusal of our own call: a problem of this service, not the caller.
      return new UpstreamError('Kinesis Video Streams refused the request of this service.');
  }
}
