import { request as httpRequest } from 'node:http';
import { startKvsEmulator, type RunningEmulator } from '@kvs-url-vending/kvs-emulator';
import { createLocalApiServer } from '../../local/api-gateway/server';
import { close, listen } from '../../local/listen';

/**
 * The dev-only endpoints (`/_local/*` of the local API, `/_admin/*` of the KVS emulator) answer only
 * requests whose Host is a loopback name, so a page on another site that rebinds its DNS name to 127.0.0.1
 * cannot mint tokens or set faults through the user's browser.
 */
function get(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { Host: host } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const LOOPBACK_HOSTS = (port: number): string[] => [
  `localhost:${port}`,
  'localhost',
  `LOCALHOST:${port}`,
  `127.0.0.1:${port}`,
  '127.0.0.1',
  `[::1]:${port}`,
];
const FOREIGN_HOSTS = (port: number): string[] => [
  `evil.example:${port}`,
  'evil.example',
  `localhost.evil.example:${port}`,
  `127.0.0.1.nip.io:${port}`,
  `0.0.0.0:${port}`,
];

describe("the local API's dev-only endpoints (/_local/*)", () => {
  const api = createLocalApiServer({
    partners: [],
    jwks: () => ({ keys: [] }),
    mintToken: ({ sub }) => `token-for-${sub}`,
  });
  let port: number;
  beforeAll(async () => {
    port = await listen(api.server, 0, '127.0.0.1', 'API_PORT');
  });
  afterAll(() => close(api.server));

  it('answers a loopback Host', async () => {
    for (const host of LOOPBACK_HOSTS(port)) {
      const answer = await get(port, '/_local/token?sub=alice', host);
      expect([host, answer.status, answer.body]).toEqual([
        host,
        200,
        { token: 'token-for-alice', tokenType: 'Bearer' },
      ]);
    }
  });

  it('refuses any other Host with 403 FORBIDDEN in the error shape, never minting a token', async () => {
    for (const host of FOREIGN_HOSTS(port)) {
      for (const path of ['/_local/token?sub=alice', '/_local/anything']) {
        const answer = await get(port, path, host);
        expect([host, path, answer.status]).toEqual([host, path, 403]);
        expect(answer.body).toEqual({
          error: {
            code: 'FORBIDDEN',
            message: expect.any(String) as unknown,
            requestId: answer.headers['x-amzn-requestid'],
          },
        });
        expect(answer.headers).toMatchObject({
          'cache-control': 'no-store',
          pragma: 'no-cache',
          'x-content-type-options': 'nosniff',
        });
      }
    }
  });

  it('leaves the API and the JWKS to any Host, as a deployment serves them', async () => {
    expect((await get(port, '/.well-known/jwks.json', 'evil.example')).status).toBe(200);
  });
});

describe("the KVS emulator's admin endpoints (/_admin/*)", () => {
  let emulator: RunningEmulator;
  let port: number;
  beforeAll(async () => {
    emulator = await startKvsEmulator({ port: 0 });
    port = Number(new URL(emulator.endpoint).port);
  });
  afterAll(() => emulator.stop());

  it("answer a loopback Host and refuse any other with 403 in the emulator's shape", async () => {
    for (const host of LOOPBACK_HOSTS(port)) {
      expect([host, (await get(port, '/_admin/faults', host)).status]).toEqual([host, 200]);
    }
    for (const host of FOREIGN_HOSTS(port)) {
      const answer = await get(port, '/_admin/faults', host);
      expect([host, answer.status]).toEqual([host, 403]);
      expect(answer.body).toEqual({ message: expect.any(String) as unknown });
    }
  });
});
