import { AdmissionUnavailableError } from '../../lambda/core/admission';
import { RateLimitedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../lambda/core/errors';
import { errorResponse, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../lambda/vend/responses';

const context = { requestId: 'req-1', allowedOrigins: [] as string[] };

describe('Retry-After of a 503', () => {
  it('tells the caller of an unavailable dependency to come back in 1 to 3 s, spread over the three', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i += 1) {
      const response = errorResponse(
        new AdmissionUnavailableError('The admission table did not answer in time.'),
        context,
      );
      expect(response.statusCode).toBe(503);
      seen.add(String(response.headers?.['Retry-After']));
    }
    expect([...seen].sort()).toEqual(['1', '2', '3']);
    expect(UNAVAILABLE_RETRY_AFTER_SECONDS).toEqual({ min: 1, max: 3 });
  });

  it('gives every kind of unavailable dependency one, and keeps the 429 its own', () => {
    const grants = errorResponse(
      new UpstreamUnavailableError('The grants store is unavailable.', 'grants'),
      context,
    );
    expect(['1', '2', '3']).toContain(grants.headers?.['Retry-After']);
    const limited = errorResponse(
      new RateLimitedError('Too many requests for this caller; retry later.', 7),
      context,
    );
    expect(limited.headers?.['Retry-After']).toBe('7');
    // A 504 (KVS slower than the retry budget) says nothing of when to retry.
    const timeout = errorResponse(
      new UpstreamTimeoutError('Kinesis Video Streams did not answer in time.'),
      context,
    );
    expect(timeout.statusCode).toBe(504);
    expect(timeout.headers?.['Retry-After']).toBeUndefined();
  });
});
