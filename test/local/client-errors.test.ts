import { connect } from 'node:net';
import { createLocalApiServer } from '../../local/api-gateway/server';
import { close, listen } from '../../local/listen';

/**
 * Requests Node.js' HTTP parser refuses before the local API sees them (an unknown method, headers past
 * its limit, a malformed request line) still get an answer in the service's error shape, with the
 * headers every answer carries, as API Gateway answers them itself.
 */
describe('the local API on requests its HTTP parser refuses', () => {
  const api = createLocalApiServer({ partners: [], jwks: () => ({ keys: [] }) });
  let port: number;

  beforeAll(async () => {
    port = await listen(api.server, 0, '127.0.0.1', 'API_PORT');
  });
  afterAll(() => close(api.server));

  /** Sends raw bytes and reads the answer until the server closes the connection. */
  function raw(request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [head = '', body = ''] = text.split('\r\n\r\n');
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const at = line.indexOf(':');
          headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
        }
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
      });
      socket.write(request);
    });
  }

  const expectServiceShape = (
    answer: { status: number; headers: Record<string, string>; body: string },
    status: number,
    code: string,
  ): void => {
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.requestId).toBe(answer.headers['x-amzn-requestid']);
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'x-content-type-options': 'nosniff',
      connection: 'close',
      'content-length': String(Buffer.byteLength(answer.body)),
    });
  };

  it('answers an unknown method (curl -X FOO) 400 INVALID_REQUEST', async () => {
    expectServiceShape(
      await raw('FOO /v1/streams HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      400,
      'INVALID_REQUEST',
    );
  });

  it('answers a malformed request line 400 INVALID_REQUEST', async () => {
    expectServiceShape(await raw('GET\r\n\r\n'), 400, 'INVALID_REQUEST');
  });

  it('answers headers past the limit 413 PAYLOAD_TOO_LARGE (REQUEST_TOO_LARGE)', async () => {
    const big = 'x'.repeat(17 * 1024);
    expectServiceShape(
      await raw(`GET /v1/streams HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\n\r\n`),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });
});
