import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createLocalApiServer, MAX_REQUEST_BYTES } from '../../local/api-gateway/server';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import { TooManyRequestsException } from '../../local/lambda-runtime/invoke-errors';
import { close, listen } from '../../local/listen';

const PARTNER: LocalPartner = {
  apiKeyId: 'partner-key-id',
  apiKey: 'partner-secret-key',
  usagePlan: { rateLimit: 1, burstLimit: 2, quota: { limit: 3, period: 'DAY' } },
};

interface Invocation {
  event: APIGatewayProxyEvent;
  context: Context;
}

describe('local API Gateway adapter', () => {
  let baseUrl: string;
  let now: number;
  let invocations: Invocation[];
  let reply: (event: APIGatewayProxyEvent) => Promise<unknown>;
  const api = createLocalApiServer({
    partners: [PARTNER],
    now: () => now,
    jwks: () => ({ keys: [{ kid: 'k1' }] }),
    mintToken: ({ sub, groups }) => `token-for-${sub}-${groups.join('+')}`,
  });
  api.setHandler(async (event, context) => {
    invocations.push({ event, context });
    return reply(event);
  });

  beforeAll(async () => {
    const port = await listen(api.server, 0, '127.0.0.1', 'API_PORT');
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => close(api.server));
  beforeEach(() => {
    now = Date.UTC(2026, 10, 25, 12);
    invocations = [];
    reply = () =>
      Promise.resolve({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' });
  });

  it('builds a REST v1 proxy event with the resource template, decoded path parameter and multi-value maps', async () => {
    const response = await rawRequest(`${baseUrl}/v1/streams/site%20a.cam-1/playback-url?x=1&x=2&y=3`, {
      method: 'POST',
      headers: [
        ['Authorization', 'Bearer abc'],
        ['X-Trace', 'one'],
        ['X-Trace', 'two'],
        ['Content-Type', 'application/json'],
      ],
      body: Buffer.from('{"protocol":"HLS"}'),
    });

    expect(response.status).toBe(200);
    const { event, context } = invocations[0]!;
    expect(event.resource).toBe('/v1/streams/{streamName}/playback-url');
    expect(event.path).toBe('/v1/streams/site%20a.cam-1/playback-url');
    expect(event.httpMethod).toBe('POST');
    expect(event.pathParameters).toEqual({ streamName: 'site a.cam-1' });
    expect(event.headers.Authorization).toBe('Bearer abc');
    expect(event.headers['X-Trace']).toBe('two');
    expect(event.multiValueHeaders['X-Trace']).toEqual(['one', 'two']);
    expect(event.queryStringParameters).toEqual({ x: '2', y: '3' });
    expect(event.multiValueQueryStringParameters).toEqual({ x: ['1', '2'], y: ['3'] });
    expect(event.body).toBe('{"protocol":"HLS"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.stage).toBe('local');
    expect(event.requestContext.resourcePath).toBe('/v1/streams/{streamName}/playback-url');
    expect(event.requestContext.requestId).toBe(response.headers['x-amzn-requestid']);
    expect(event.requestContext.requestTimeEpoch).toBe(now);
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(event.requestContext.identity.apiKeyId).toBeNull();
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('passes a body that is not UTF-8 base64-encoded, and null maps when there is no query', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    await rawRequest(`${baseUrl}/v1/streams/cam/playback-url`, {
      method: 'POST',
      headers: [['Content-Type', 'application/octet-stream']],
      body: bytes,
    });

    const { event } = invocations[0]!;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('maps headers, multi-value headers and base64 bodies of the result', async () => {
    reply = () =>
      Promise.resolve({
        statusCode: 201,
        headers: { 'Content-Type': 'image/png', 'X-One': 'a' },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: Buffer.from([1, 2, 3]).toString('base64'),
        isBase64Encoded: true,
      } satisfies APIGatewayProxyResult);

    const response = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });

    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['x-one']).toBe('a');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(response.body).toEqual(Buffer.from([1, 2, 3]));
  });

  it('answers routes and methods the API does not define like API Gateway, without calling the handler', async () => {
    const unknownPath = await rawRequest(`${baseUrl}/v2/streams`, { method: 'GET' });
    const wrongMethod = await rawRequest(`${baseUrl}/v1/streams`, { method: 'DELETE' });

    for (const response of [unknownPath, wrongMethod]) {
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Missing Authentication Token' });
      expect(response.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    }
    expect(invocations).toHaveLength(0);
  });

  it('refuses partner routes without a known API key with 403 Forbidden', async () => {
    const missing = await rawRequest(`${baseUrl}/partner/v1/streams`, { method: 'GET' });
    const unknown = await rawRequest(`${baseUrl}/partner/v1/streams`, {
      method: 'GET',
      headers: [['x-api-key', 'not-a-key']],
    });

    for (const response of [missing, unknown]) {
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Forbidden' });
    }
    expect(invocations).toHaveLength(0);
  });

  it('passes CORS preflights of defined resources to the handler, without an API key', async () => {
    const response = await rawRequest(`${baseUrl}/partner/v1/streams/cam/playback-url`, {
      method: 'OPTIONS',
      headers: [
        ['Origin', 'http://127.0.0.1:9999'],
        ['Access-Control-Request-Method', 'POST'],
      ],
    });

    expect(response.status).toBe(200);
    expect(invocations[0]!.event.httpMethod).toBe('OPTIONS');
    expect(invocations[0]!.event.resource).toBe('/partner/v1/streams/{streamName}/playback-url');
    expect(invocations[0]!.event.requestContext.identity.apiKeyId).toBeNull();
  });

  it('passes the API key id of an accepted key and applies its usage plan', async () => {
    const call = () =>
      rawRequest(`${baseUrl}/partner/v1/streams`, {
        method: 'GET',
        headers: [['x-api-key', PARTNER.apiKey]],
      });

    const first = await call();
    const second = await call();
    const throttled = await call();
    now += 1_000;
    const third = await call();
    now += 10_000;
    const overQuota = await call();

    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(invocations[0]!.event.requestContext.identity.apiKeyId).toBe(PARTNER.apiKeyId);
    expect(invocations[0]!.event.requestContext.identity.apiKey).toBe(PARTNER.apiKey);
    expect(throttled.status).toBe(429);
    expect(JSON.parse(throttled.body.toString())).toEqual({ message: 'Too Many Requests' });
    expect(overQuota.status).toBe(429);
    expect(JSON.parse(overQuota.body.toString())).toEqual({ message: 'Limit Exceeded' });
    expect(invocations).toHaveLength(3);
  });

  it('refuses bodies over 10 MB with 413 before the handler runs', async () => {
    const response = await rawRequest(`${baseUrl}/v1/streams/cam/playback-url`, {
      method: 'POST',
      headers: [['Content-Type', 'application/json']],
      body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20),
    });

    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Request Too Long' });
    expect(invocations).toHaveLength(0);
  });

  it('answers 502 Internal server error when the handler throws or returns no proxy result', async () => {
    reply = () => Promise.reject(new Error('boom with internals'));
    const thrown = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });
    reply = () => Promise.resolve({ body: 'not a result' });
    const malformed = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });

    for (const response of [thrown, malformed]) {
      expect(response.status).toBe(502);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal server error' });
    }
  });

  it('answers 500 Internal server error when Lambda refuses the invocation, as API Gateway does', async () => {
    reply = () => Promise.reject(new TooManyRequestsException(50));

    const response = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });

    expect(response.status).toBe(500);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal server error' });
    expect(response.headers['x-amzn-requestid']).toBeDefined();
  });

  it('serves the JWKS, the dev token endpoint and the demo page with its player libraries', async () => {
    const jwks = await fetch(`${baseUrl}/.well-known/jwks.json`);
    const token = await fetch(`${baseUrl}/_local/token?sub=sam&groups=security`);
    const page = await fetch(`${baseUrl}/`);
    const hls = await fetch(`${baseUrl}/vendor/hls.min.js`);
    const dash = await fetch(`${baseUrl}/vendor/dash.all.min.js`);

    expect(await jwks.json()).toEqual({ keys: [{ kid: 'k1' }] });
    expect(await token.json()).toEqual({ token: 'token-for-sam-security', tokenType: 'Bearer' });
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script src="/vendor/hls.min.js">');
    expect(hls.status).toBe(200);
    expect((await hls.text()).length).toBeGreaterThan(100_000);
    expect(dash.status).toBe(200);
    expect(dash.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('does not serve files outside its fixed list', async () => {
    const response = await rawRequest(`${baseUrl}/demo/../../package.json`, { method: 'GET' });
    const encoded = await rawRequest(`${baseUrl}/vendor/..%2f..%2fpackage.json`, { method: 'GET' });

    expect(response.status).toBe(403);
    expect(encoded.status).toBe(403);
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http rather than fetch: repeated header names and raw paths reach the server as sent. */
function rawRequest(
  url: string,
  options: { method: string; headers?: [string, string][]; body?: Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const flatHeaders = [['Host', target.host], ...(options.headers ?? [])].flat();
    if (options.body) flatHeaders.push('Content-Length', String(options.body.length));
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method,
        headers: flatHeaders,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
