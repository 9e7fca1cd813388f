import { GATEWAY_RESPONSES, STAGE_THROTTLE } from '../../lambda/contract';
import { parseConfig as parseStackConfig } from '../../lib/config';
import { createLocalApiServer } from '../../local/api-gateway/server';
import { close, listen } from '../../local/listen';
import { optionsFromEnvironment } from '../../local/start';
import { call, errorOf, type ApiResponse } from './support/http';

/**
 * The stage throttle the stack sets (a token bucket over the whole stage: rate per second and burst)
 * holds for the local API too: beyond it, API Gateway's THROTTLED answer, 429 in the service's shape.
 * The clock is injected, so nothing here depends on the machine's speed.
 */
describe('the local API under the stage throttle', () => {
  let now = Date.UTC(2026, 10, 25, 12);
  let invocations = 0;

  async function withApi<T>(
    stageThrottle: { rateLimit: number; burstLimit: number } | undefined,
    run: (baseUrl: string) => Promise<T>,
  ): Promise<T> {
    const api = createLocalApiServer({
      partners: [],
      now: () => now,
      jwks: () => ({ keys: [] }),
      ...(stageThrottle ? { stageThrottle } : {}),
    });
    api.setHandler(() => {
      invocations += 1;
      return Promise.resolve({ statusCode: 200, headers: {}, body: '{"streams":[]}' });
    });
    const port = await listen(api.server, 0, '127.0.0.1', 'API_PORT');
    try {
      return await run(`http://127.0.0.1:${port}`);
    } finally {
      await close(api.server);
    }
  }

  beforeEach(() => {
    invocations = 0;
  });

  it('is by default the stack default: 100 requests per second, a burst of 200', () => {
    expect(STAGE_THROTTLE).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(
      parseStackConfig({
        issuer: 'https://issuer.example/',
        audience: 'a',
        jwksUrl: 'https://issuer.example/jwks',
        streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/*'],
      }).stageThrottle,
    ).toEqual(STAGE_THROTTLE);
  });

  it('answers 600 concurrent requests: the burst (200) reaches the function, the rest get THROTTLED 429', async () => {
    const answers = await withApi(undefined, (baseUrl) =>
      Promise.all(Array.from({ length: 600 }, () => call(`${baseUrl}/v1/streams`))),
    );
    const byStatus = (status: number): ApiResponse[] => answers.filter((answer) => answer.status === status);
    expect(byStatus(200)).toHaveLength(200);
    expect(byStatus(429)).toHaveLength(400);
    expect(invocations).toBe(200);
    const throttled = byStatus(429)[0]!;
    expect(errorOf(throttled)).toEqual({
      code: GATEWAY_RESPONSES.THROTTLED.code,
      message: GATEWAY_RESPONSES.THROTTLED.message,
      requestId: throttled.headers.get('x-amzn-requestid'),
    });
    expect(errorOf(throttled).code).toBe('RATE_LIMITED');
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('cache-control')).toBe('no-store');
    expect(throttled.headers.get('pragma')).toBe('no-cache');
  });

  it('refills at the configured rate', async () => {
    await withApi({ rateLimit: 2, burstLimit: 3 }, async (baseUrl) => {
      const statuses = async (count: number): Promise<number[]> => {
        const result: number[] = [];
        for (let index = 0; index < count; index += 1)
          result.push((await call(`${baseUrl}/v1/streams`)).status);
        return result;
      };
      expect(await statuses(4)).toEqual([200, 200, 200, 429]);
      now += 1000;
      expect(await statuses(3)).toEqual([200, 200, 429]);
      now += 10_000;
      expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    });
  });

  it('is set for npm start by LOCAL_STAGE_RATE_LIMIT and LOCAL_STAGE_BURST_LIMIT, which name themselves when bad', () => {
    expect(optionsFromEnvironment({}).stageThrottle).toBeUndefined();
    expect(
      optionsFromEnvironment({ LOCAL_STAGE_RATE_LIMIT: '2.5', LOCAL_STAGE_BURST_LIMIT: '1000' })
        .stageThrottle,
    ).toEqual({ rateLimit: 2.5, burstLimit: 1000 });
    expect(optionsFromEnvironment({ LOCAL_STAGE_BURST_LIMIT: '7' }).stageThrottle).toEqual({
      rateLimit: STAGE_THROTTLE.rateLimit,
      burstLimit: 7,
    });
    expect(() => optionsFromEnvironment({ LOCAL_STAGE_RATE_LIMIT: '0' })).toThrow(/LOCAL_STAGE_RATE_LIMIT/);
    expect(() => optionsFromEnvironment({ LOCAL_STAGE_RATE_LIMIT: 'fast' })).toThrow(
      /LOCAL_STAGE_RATE_LIMIT/,
    );
    expect(() => optionsFromEnvironment({ LOCAL_STAGE_BURST_LIMIT: '1.5' })).toThrow(
      /LOCAL_STAGE_BURST_LIMIT/,
    );
    expect(() => optionsFromEnvironment({ LOCAL_STAGE_BURST_LIMIT: '0' })).toThrow(/LOCAL_STAGE_BURST_LIMIT/);
  });
});
