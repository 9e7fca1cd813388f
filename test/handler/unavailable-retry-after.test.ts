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
    // Without a wait to the millisecond (a limit that knows only seconds), no Retry-After-Ms.
    expect(limited.headers?.['Retry-After-Ms']).toBeUndefined();
    expect(grants.headers?.['Retry-After-Ms']).toBeUndefined();
    // A 504 (KVS slower than the retry budget) says nothing of when to retry.
    const timeout = errorResponse(
      new UpstreamTimeoutError('Kinesis Video Streams did not answer in time.'),
      context,
    );
    expect(timeout.statusCode).toBe(504);
    expect(timeout.headers?.['Retry-After']).toBeUndefined();
  });
});

describe('Retry-After-Ms of a 429', () => {
  it("carries admission's wait to the millisecond beside the whole seconds, never longer than them", () => {
    const limited = errorResponse(
      new RateLimitedError('Too many requests for this stream; retry later.', 2, 1_234.2),
      context,
    );
    expect(limited.statusCode).toBe(429);
    expect(limited.headers).toMatchObject({ 'Retry-After': '2', 'Retry-After-Ms': '1235' });
    // A wait that the seconds would cut short is held to them: a client honouring either waits the same.
    const over = errorResponse(new RateLimitedError('Too many requests; retry later.', 1, 4_000), context);
    expect(over.headers).toMatchObject({ 'Retry-After': '1', 'Retry-After-Ms': '1000' });
  });
});
