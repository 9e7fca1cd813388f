import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  CORS,
  edgeAnswerHeaders,
  edgeErrorBody,
  GATEWAY_RESPONSES,
  preflightHeaders,
  ROUTING_ANSWERS,
  statusOf,
  type EdgeAnswer,
} from '../../lambda/contract';
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

  /** The answer of `answer` as the stack gives it: status of its code, body, fixed headers. */
  const expectEdgeAnswer = (response: RawResponse, answer: EdgeAnswer): void => {
    const requestId = response.headers['x-amzn-requestid'] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.status).toBe(statusOf(answer));
    expect(JSON.parse(response.body.toString())).toEqual(edgeErrorBody(answer, requestId));
    expect(response.headers['content-type']).toBe('application/json');
    for (const [name, value] of Object.entries(edgeAnswerHeaders(answer))) {
      expect(response.headers[name.toLowerCase()]).toBe(value);
    }
  };

  it('answers a path the API does not have 404 NOT_FOUND, with or without a bearer token, without the handler', async () => {
    const bare = await rawRequest(`${baseUrl}/v2/streams`, { method: 'GET' });
    const withBearer = await rawRequest(`${baseUrl}/v2/streams`, {
      method: 'GET',
      headers: [['Authorization', 'Bearer abc.def.ghi']],
    });
    const root = await rawRequest(`${baseUrl}/`, { method: 'POST' });
    const intermediate = await rawRequest(`${baseUrl}/v1`, { method: 'GET' });
    const undecodable = await rawRequest(`${baseUrl}/v1/streams/%E0%A4%A/playback-url`, { method: 'POST' });

    for (const response of [bare, withBearer, root, intermediate, undecodable]) {
      expectEdgeAnswer(response, ROUTING_ANSWERS.NO_ROUTE);
    }
    expect(invocations).toHaveLength(0);
  });

  it('answers a method a route does not take 405 METHOD_NOT_ALLOWED with Allow, OPTIONS included without origins', async () => {
    const deleteStreams = await rawRequest(`${baseUrl}/v1/streams`, { method: 'DELETE' });
    const getVend = await rawRequest(`${baseUrl}/v1/streams/cam/playback-url`, { method: 'GET' });
    const options = await rawRequest(`${baseUrl}/partner/v1/streams/cam/playback-url`, { method: 'OPTIONS' });

    expectEdgeAnswer(deleteStreams, ROUTING_ANSWERS.NO_METHOD);
    expect(deleteStreams.headers.allow).toBe('GET');
    expectEdgeAnswer(getVend, ROUTING_ANSWERS.NO_METHOD);
    expect(getVend.headers.allow).toBe('POST');
    expectEdgeAnswer(options, ROUTING_ANSWERS.NO_METHOD);
    expect(invocations).toHaveLength(0);
  });

  it('answers a MOCK route with another content type than JSON 415, as API Gateway does', async () => {
    const response = await rawRequest(`${baseUrl}/v2/streams`, {
      method: 'POST',
      headers: [['Content-Type', 'text/plain']],
      body: Buffer.from('hello'),
    });

    expectEdgeAnswer(response, GATEWAY_RESPONSES.UNSUPPORTED_MEDIA_TYPE);
  });

  it('refuses partner routes without a known API key with 401 and the ApiKey challenge', async () => {
    const missing = await rawRequest(`${baseUrl}/partner/v1/streams`, { method: 'GET' });
    const unknown = await rawRequest(`${baseUrl}/partner/v1/streams`, {
      method: 'GET',
      headers: [['x-api-key', 'not-a-key']],
    });

    for (const response of [missing, unknown]) {
      expectEdgeAnswer(response, GATEWAY_RESPONSES.INVALID_API_KEY);
      expect(response.headers['www-authenticate']).toBe('ApiKey header="x-api-key"');
    }
    expect(invocations).toHaveLength(0);
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
    expectEdgeAnswer(throttled, GATEWAY_RESPONSES.THROTTLED);
    expect(throttled.headers['retry-after']).toBe('1');
    expectEdgeAnswer(overQuota, GATEWAY_RESPONSES.QUOTA_EXCEEDED);
    expect(overQuota.headers['retry-after']).toBeUndefined();
    expect(invocations).toHaveLength(3);
  });

  it('runs the request validator on the model of the contract: unknown fields, wrong types and bad JSON never reach the handler', async () => {
    const post = (body: string, contentType?: string) =>
      rawRequest(`${baseUrl}/v1/streams/cam/playback-url`, {
        method: 'POST',
        headers: contentType === undefined ? [] : [['Content-Type', contentType]],
        body: Buffer.from(body),
      });

    const refused = [
      await post('{"protocol":"HLS","expiresInSecond":900}', 'application/json'),
      await post('{"protocol":"RTSP"}', 'application/json; charset=utf-8'),
      await post('{"maxFragments":"10"}', 'application/json'),
      await post('{"expiresInSeconds":1.5}', 'application/json'),
      await post('[]', 'application/json'),
      await post('{"protocol":', 'application/json'),
      // No Content-Type: API Gateway takes the body for JSON.
      await post('{"unknown":1}'),
    ];
    expect(invocations).toHaveLength(0);
    const passed = [
      await post('{"protocol":"DASH","maxFragments":99999}', 'application/json'),
      await post('', 'application/json'),
      // No model for another content type: the function answers it (415).
      await post('{"unknown":1}', 'text/plain'),
    ];

    for (const response of refused) expectEdgeAnswer(response, GATEWAY_RESPONSES.BAD_REQUEST_BODY);
    expect(passed.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(invocations).toHaveLength(3);
  });

  it('refuses bodies over 10 MB with 413 before the handler runs', async () => {
    const response = await rawRequest(`${baseUrl}/v1/streams/cam/playback-url`, {
      method: 'POST',
      headers: [['Content-Type', 'application/json']],
      body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20),
    });

    expectEdgeAnswer(response, GATEWAY_RESPONSES.REQUEST_TOO_LARGE);
    expect(invocations).toHaveLength(0);
  });

  it('answers 500 INTERNAL (DEFAULT_5XX) when the handler throws or returns no proxy result', async () => {
    reply = () => Promise.reject(new Error('boom with internals'));
    const thrown = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });
    reply = () => Promise.resolve({ body: 'not a result' });
    const malformed = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });

    for (const response of [thrown, malformed]) {
      expectEdgeAnswer(response, GATEWAY_RESPONSES.DEFAULT_5XX);
      expect(response.body.toString()).not.toContain('boom');
    }
  });

  it('answers 500 INTERNAL when Lambda refuses the invocation, as API Gateway does (DEFAULT_5XX)', async () => {
    reply = () => Promise.reject(new TooManyRequestsException(50));

    const response = await rawRequest(`${baseUrl}/v1/streams`, { method: 'GET' });

    expectEdgeAnswer(response, GATEWAY_RESPONSES.DEFAULT_5XX);
  });

  describe('with configured origins', () => {
    const ORIGIN = 'http://127.0.0.1:9999';
    beforeEach(() => api.setAllowedOrigins([ORIGIN, 'http://localhost:9999']));
    afterEach(() => api.setAllowedOrigins([]));

    it('answers preflights of browser routes itself (MOCK), the allowed origin only, without the handler', async () => {
      const preflight = (path: string, origin: string) =>
        rawRequest(`${baseUrl}${path}`, {
          method: 'OPTIONS',
          headers: [
            ['Origin', origin],
            ['Access-Control-Request-Method', 'POST'],
            ['Access-Control-Request-Headers', 'authorization,content-type'],
          ],
        });

      const vend = await preflight('/v1/streams/cam/playback-url', 'http://localhost:9999');
      const other = await preflight('/v1/streams', 'https://evil.example');
      const partner = await preflight('/partner/v1/streams/cam/playback-url', ORIGIN);

      expect(vend.status).toBe(CORS.preflightStatus);
      expect(vend.body.length).toBe(0);
      expect(vend.headers).toMatchObject({
        ...lowerCase(preflightHeaders(['POST'])),
        'access-control-allow-origin': 'http://localhost:9999',
      });
      // The headers every answer carries (README, "Headers"), preflights included.
      for (const answer of [vend, other]) {
        expect(answer.headers).toMatchObject({
          'cache-control': 'no-store',
          pragma: 'no-cache',
          'x-content-type-options': 'nosniff',
        });
      }
      expect(other.status).toBe(204);
      expect(other.headers['access-control-allow-methods']).toBe('GET,OPTIONS');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      // Partner routes are for servers: no preflight, the MOCK ANY's 405.
      expect(partner.status).toBe(405);
      expect(invocations).toHaveLength(0);
    });

    it('reflects the origin on gateway responses and allows only configured origins on MOCK answers', async () => {
      const call = (path: string, origin: string) =>
        rawRequest(`${baseUrl}${path}`, { method: 'GET', headers: [['Origin', origin]] });

      const gateway = await call('/partner/v1/streams', 'https://any.example');
      const mockAllowed = await call('/v2/streams', ORIGIN);
      const mockOther = await call('/v2/streams', 'https://any.example');

      expect(gateway.status).toBe(401);
      expect(gateway.headers['access-control-allow-origin']).toBe('https://any.example');
      expect(mockAllowed.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(mockOther.headers['access-control-allow-origin']).toBeUndefined();
      for (const response of [gateway, mockAllowed, mockOther]) {
        expect(response.headers.vary).toBe('Origin');
        expect(response.headers['access-control-expose-headers']).toBe(
          'X-Request-Id, Retry-After, Retry-After-Ms, WWW-Authenticate',
        );
      }
    });
  });

  it('sends no CORS headers at all on edge answers when no origin is configured', async () => {
    const response = await rawRequest(`${baseUrl}/partner/v1/streams`, {
      method: 'GET',
      headers: [['Origin', 'https://any.example']],
    });

    expect(response.status).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers.vary).toBeUndefined();
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

    // Not files: paths of the API, which it does not have.
    expect(response.status).toBe(404);
    expect(encoded.status).toBe(404);
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

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
