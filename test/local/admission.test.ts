import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/start';
import { call, errorOf, type ApiResponse } from './support/http';
import { OpenApiContract } from './support/openapi';

describe('local stack with admission on (as npm start runs it)', () => {
  const contract = new OpenApiContract();
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-admission-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      ports: 0,
      stateDir,
      admission: true,
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        // The smallest bucket the configuration allows: 1/s with room for 2.
        ADMISSION_CALLER_RATE_PER_SECOND: '1',
        ADMISSION_CALLER_BURST: '2',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers a caller past its rate 429 RATE_LIMITED with Retry-After, as the contract documents', async () => {
    const token = stack.mintToken({ sub: 'alice' });
    const url = `${stack.apiUrl}/v1/streams/front-door/playback-url`;
    const responses: ApiResponse[] = [];
    // Six back-to-back vends against a bucket of 2 refilled at 1/s: only a stall of seconds between
    // requests could let them all through.
    for (let index = 0; index < 6; index += 1) responses.push(await call(url, { token, body: {} }));

    expect(responses.slice(0, 2).map((response) => response.status)).toEqual([200, 200]);
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const response of limited) {
      expect(errorOf(response).code).toBe('RATE_LIMITED');
      const seconds = Number(response.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(1);
      // The same wait to the millisecond: through the local API Gateway as the function sent it.
      const ms = Number(response.headers.get('retry-after-ms'));
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(seconds * 1000);
      contract.assertResponse('post', '/v1/streams/{streamName}/playback-url', response);
    }
    expect(responses.every((response) => response.status === 200 || response.status === 429)).toBe(true);
  });

  it('keeps callers apart: another user is not limited by the first one', async () => {
    const response = await call(`${stack.apiUrl}/v1/streams/backyard/playback-url`, {
      token: stack.mintToken({ sub: 'bob' }),
      body: {},
    });
    expect(response.status).toBe(200);
  });
});
