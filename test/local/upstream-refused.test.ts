import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/start';
import { call, errorOf } from './support/http';
import { OpenApiContract } from './support/openapi';

/**
 * The handler signs with a secret the emulator does not know, as when the function's role may not call
 * Kinesis Video Streams: KVS refuses the service itself, which is 502 and never the caller's fault.
 * A stack of its own, because the handler reads its credentials once per module load.
 */
describe('local stack when KVS refuses the service (502)', () => {
  const contract = new OpenApiContract();
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-refused-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      ports: 0,
      stateDir,
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SECRET_ACCESS_KEY: 'not-the-secret-of-the-emulator',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers 502 UPSTREAM_ERROR to a vend and to a listing that needs KVS, without upstream details', async () => {
    const token = stack.mintToken({ sub: 'sam', groups: ['security'] });

    const vend = await call(`${stack.apiUrl}/v1/streams/front-door/playback-url`, { token, body: {} });
    const list = await call(`${stack.apiUrl}/v1/streams`, { token });

    contract.assertResponse('POST', '/v1/streams/{streamName}/playback-url', vend);
    contract.assertResponse('GET', '/v1/streams', list);
    for (const response of [vend, list]) {
      expect(response.status).toBe(502);
      expect(errorOf(response).code).toBe('UPSTREAM_ERROR');
      expect(JSON.stringify(response.body)).not.toMatch(/Signature|not-the-secret|x-amzn/i);
    }
  });
});
