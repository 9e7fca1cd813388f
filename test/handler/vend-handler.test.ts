import { createHmac } from 'node:crypto';
import { createJwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { NOW } from '../core/fakes';
import {
  AUDIENCE,
  bodyOf,
  errorOf,
  jsonLines,
  captureOutput,
  context,
  event,
  ISSUER,
  ORIGIN,
  SECRET,
  SESSION_TOKEN,
  SESSION_URL,
  setupHandler,
  signToken,
} from './support';

/** An HS256 token with exactly these claims: jsonwebtoken's own signer refuses a malformed iat. */
function rawToken(claims: Record<string, unknown>): string {
  const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', ...claims })}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const auth = (token = signToken()) => ({
  Authorization: `Bearer ${token}`,
  'Content-Type': 'application/json',
});

describe('vend handler through the middy stack', () => {
  describe('POST /v1/streams/{streamName}/playback-url', () => {
    it('vends a URL with the no-store headers and the request id', async () => {
      const { handler, kvs } = setupHandler();
      const response = await handler(
        event({ headers: auth(), body: JSON.stringify({ expiresInSeconds: 3600 }) }),
        context,
      );

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({
        url: SESSION_URL,
        protocol: 'HLS',
        stream: 'front-door',
        playbackMode: 'LIVE',
        expiresAt: new Date(NOW + 900_000).toISOString().replace('.000Z', 'Z'),
        expiresInSeconds: 900,
        maxFragments: 5,
      });
      expect(response.headers).toMatchObject({
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        'X-Request-Id': 'req-0001',
        'Content-Type': 'application/json',
        'X-Content-Type-Options': 'nosniff',
      });
      expect(response.headers).not.toHaveProperty('Access-Control-Allow-Origin');
      expect(kvs.sessionRequests).toHaveLength(1);
    });

    it('returns start and end of an archived session', async () => {
      const { handler } = setupHandler();
      const body = {
        playbackMode: 'ON_DEMAND',
        protocol: 'DASH',
        start: '2026-11-25T10:00:00Z',
        end: '2026-11-25T11:00:00+00:00',
      };
      const response = await handler(event({ headers: auth(), body: JSON.stringify(body) }), context);
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toMatchObject({
        start: '2026-11-25T10:00:00Z',
        end: '2026-11-25T11:00:00Z',
        protocol: 'DASH',
      });
    });

    it('treats an empty body as {} whatever its content type', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ headers: { Authorization: `Bearer ${signToken()}` }, body: '' }),
        context,
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).expiresInSeconds).toBe(300);
    });

    it('decodes a base64 body', async () => {
      const { handler, kvs } = setupHandler();
      const body = Buffer.from(JSON.stringify({ protocol: 'DASH' })).toString('base64');
      const response = await handler(event({ headers: auth(), body, isBase64Encoded: true }), context);
      expect(response.statusCode).toBe(200);
      expect(kvs.sessionRequests[0]!.protocol).toBe('DASH');
    });

    it('accepts a JSON content type with a UTF-8 charset, header names in any case', async () => {
      const { handler } = setupHandler();
      const headers = {
        authorization: `bearer ${signToken()}`,
        'CONTENT-TYPE': 'application/json; charset=UTF-8',
      };
      const response = await handler(event({ headers, body: '{}' }), context);
      expect(response.statusCode).toBe(200);
    });

    it.each([
      ['text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['application/x-www-form-urlencoded', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['application/json; charset=latin1', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ])('refuses content type %p', async (contentType, status, code) => {
      const { handler, kvs } = setupHandler();
      const headers = { Authorization: `Bearer ${signToken()}`, 'Content-Type': contentType };
      const response = await handler(event({ headers, body: '{}' }), context);
      expect(response.statusCode).toBe(status);
      expect(errorOf(response).code).toBe(code);
      expect(kvs.sessionRequests).toEqual([]);
    });

    it('refuses a body without a content type', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ headers: { Authorization: `Bearer ${signToken()}` }, body: '{}' }),
        context,
      );
      expect(response.statusCode).toBe(415);
    });

    it('refuses a body over 8 KiB with 413, base64 included', async () => {
      const { handler, kvs } = setupHandler();
      const big = JSON.stringify({ pad: 'x'.repeat(8200) });
      const plain = await handler(event({ headers: auth(), body: big }), context);
      const encoded = await handler(
        event({ headers: auth(), body: Buffer.from(big).toString('base64'), isBase64Encoded: true }),
        context,
      );
      for (const response of [plain, encoded]) {
        expect(response.statusCode).toBe(413);
        expect(bodyOf(response).error).toEqual({
          code: 'PAYLOAD_TOO_LARGE',
          message: expect.any(String) as unknown,
          requestId: 'req-0001',
        });
      }
      expect(kvs.sessionRequests).toEqual([]);
    });

    it.each(['{', '{"protocol": "HLS",}', 'null x'])(
      'answers malformed JSON %p with 400 INVALID_REQUEST',
      async (body) => {
        const { handler } = setupHandler();
        const response = await handler(event({ headers: auth(), body }), context);
        expect(response.statusCode).toBe(400);
        expect(bodyOf(response).error).toMatchObject({
          code: 'INVALID_REQUEST',
          details: [{ field: 'body', issue: 'malformed JSON' }],
        });
      },
    );

    it('answers invalid UTF-8 with 400', async () => {
      const { handler } = setupHandler();
      const body = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');
      const response = await handler(event({ headers: auth(), body, isBase64Encoded: true }), context);
      expect(response.statusCode).toBe(400);
    });

    it('answers a rule violation with 400 and its details', async () => {
      const { handler, kvs } = setupHandler();
      const response = await handler(
        event({ headers: auth(), body: JSON.stringify({ playbackMode: 'ON_DEMAND', extra: 1 }) }),
        context,
      );
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toEqual({
        error: {
          code: 'INVALID_REQUEST',
          message: 'The request body is invalid.',
          requestId: 'req-0001',
          details: [{ field: 'extra', issue: 'unknown field' }],
        },
      });
      expect(kvs.sessionRequests).toEqual([]);
    });

    it('answers an invalid stream name with 400', async () => {
      const { handler, grants } = setupHandler();
      const response = await handler(event({ headers: auth(), streamName: 'front door' }), context);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).details).toEqual([expect.objectContaining({ field: 'streamName' })]);
      expect(grants.calls).toEqual([]);
    });

    it('answers 403 identically for an existing and a missing stream, without calling KVS', async () => {
      const { handler, kvs } = setupHandler();
      const bob = signToken({ sub: 'bob' });
      const existing = await handler(event({ headers: auth(bob), streamName: 'front-door' }), context);
      const missing = await handler(event({ headers: auth(bob), streamName: 'no-such-stream' }), context);
      expect(existing.statusCode).toBe(403);
      expect(missing.statusCode).toBe(403);
      expect(missing.body).toBe(existing.body);
      expect(errorOf(existing).code).toBe('FORBIDDEN');
      expect(kvs.sessionRequests).toEqual([]);
    });

    it('allows a group member on any stream through the group grant', async () => {
      const { handler } = setupHandler();
      const token = signToken({ sub: 'carol', groups: ['security'] });
      const response = await handler(
        event({ headers: auth(token), streamName: 'garage', body: '{"expiresInSeconds": 43200}' }),
        context,
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).expiresInSeconds).toBe(3600);
    });

    it('answers 401 for a group claim of the wrong type', async () => {
      const { handler } = setupHandler();
      const token = signToken({ sub: 'carol', groups: 'security' });
      const response = await handler(event({ headers: auth(token), streamName: 'garage' }), context);
      expect(response.statusCode).toBe(401);
    });

    it('reads groups from the one configured claim: no other claim stands in for it', async () => {
      const byDefault = setupHandler();
      const cognito = setupHandler({ groupsClaims: ['cognito:groups'] });
      const cognitoGroups = signToken({ sub: 'carol', 'cognito:groups': ['security'] });
      const plainGroups = signToken({ sub: 'carol', groups: ['security'] });
      const request = (token: string) => event({ headers: auth(token), streamName: 'garage' });

      expect((await byDefault.handler(request(cognitoGroups), context)).statusCode).toBe(403);
      expect((await cognito.handler(request(cognitoGroups), context)).statusCode).toBe(200);
      expect((await cognito.handler(request(plainGroups), context)).statusCode).toBe(403);
    });
  });

  describe('authentication', () => {
    const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"';
    const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired"';
    const iat = Math.floor(NOW / 1000);
    it.each<[string, Record<string, string>, string]>([
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      ['no Authorization header', { 'Content-Type': 'application/json' }, 'Bearer'],
      ['another scheme', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'Bearer'],
      ['an empty bearer', { Authorization: 'Bearer ' }, INVALID],
      ['a garbage token', { Authorization: 'Bearer not.a.jwt' }, INVALID],
      [
        'an expired token',
        { Authorization: `Bearer ${signToken({ iat: iat - 3600, exp: iat - 60 })}` },
        EXPIRED,
      ],
      [
        'an expired token of another audience',
        { Authorization: `Bearer ${signToken({ iat: iat - 3600, exp: iat - 60 }, { audience: 'other' })}` },
        INVALID,
      ],
      [
        'a wrong issuer',
        { Authorization: `Bearer ${signToken({}, { issuer: 'https://evil.test' })}` },
        INVALID,
      ],
      ['a wrong audience', { Authorization: `Bearer ${signToken({}, { audience: 'other' })}` }, INVALID],
      ['a tampered signature', { Authorization: `Bearer ${signToken().slice(0, -2)}xx` }, INVALID],
      ['an oversized token', { Authorization: `Bearer ${signToken({ pad: 'x'.repeat(9000) })}` }, INVALID],
    ])(
      'answers 401 for %s with its own challenge and one generic body, never reaching the grants or KVS',
      async (_name, headers, challenge) => {
        const { handler, grants, kvs } = setupHandler();
        const response = await handler(event({ headers, body: null }), context);
        expect(response.statusCode).toBe(401);
        expect(response.headers?.['WWW-Authenticate']).toBe(challenge);
        expect(bodyOf(response).error).toEqual({
          code: 'UNAUTHENTICATED',
          message: 'The bearer token is missing, invalid or expired.',
          requestId: 'req-0001',
        });
        expect(grants.calls).toEqual([]);
        expect(kvs.sessionRequests).toEqual([]);
      },
    );

    it.each<[string, Record<string, unknown>]>([
      ['an iat that is a string', { iat: String(iat), exp: iat + 300 }],
      ['an iat in the future', { iat: iat + 600, exp: iat + 900 }],
      ['a lifetime over 24 hours', { iat: iat - 60, exp: iat - 60 + 86_401 }],
      ['no iat and more than 24 hours left', { exp: iat + 2 * 86_400 }],
    ])('answers 401 invalid_token for %s', async (_name, claims) => {
      const { handler, grants } = setupHandler();
      const accepted = await handler(event({ headers: auth(rawToken({ iat, exp: iat + 300 })) }), context);

      const response = await handler(event({ headers: auth(rawToken(claims)) }), context);

      expect(accepted.statusCode).toBe(200);
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['WWW-Authenticate']).toBe(INVALID);
      expect(grants.calls).toHaveLength(1);
    });

    it('follows a configured maximum token lifetime', async () => {
      const verifier = createJwtVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        secret: SECRET,
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        jwksRefetchIntervalSeconds: 30,
        maxTokenLifetimeSeconds: 3600,
        clock: { now: () => NOW },
      });
      const { handler } = setupHandler({ verifier });

      const hour = await handler(event({ headers: auth(rawToken({ iat, exp: iat + 3600 })) }), context);
      const longer = await handler(event({ headers: auth(rawToken({ iat, exp: iat + 3601 })) }), context);

      expect([hour.statusCode, longer.statusCode]).toEqual([200, 401]);
    });

    it('answers 401 when two Authorization headers arrive', async () => {
      const { handler } = setupHandler();
      const request = event({ headers: auth() });
      request.multiValueHeaders = {
        Authorization: [`Bearer ${signToken()}`, `Bearer ${signToken({ sub: 'bob' })}`],
      };
      const response = await handler(request, context);
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['WWW-Authenticate']).toBe(INVALID);
    });

    it('authenticates before looking at the body', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(10_000) }),
        context,
      );
      expect(response.statusCode).toBe(401);
    });
  });

  describe('partner routes', () => {
    const partnerVend = { resource: '/partner/v1/streams/{streamName}/playback-url' };

    it('vends for the partner of the API key id, clamped to its grant', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({
          ...partnerVend,
          apiKeyId: 'partner-key-1',
          body: '{"expiresInSeconds": 900}',
          headers: { 'content-type': 'application/json' },
        }),
        context,
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).expiresInSeconds).toBe(300);
    });

    it('answers 401 without an API key id, even with a valid JWT, challenging for the API key', async () => {
      const { handler, grants } = setupHandler();
      const response = await handler(event({ ...partnerVend, headers: auth() }), context);
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['WWW-Authenticate']).toBe('ApiKey header="x-api-key"');
      expect(grants.calls).toEqual([]);
    });

    it('ignores an API key id on user routes', async () => {
      const { handler } = setupHandler();
      const response = await handler(event({ apiKeyId: 'partner-key-1' }), context);
      expect(response.statusCode).toBe(401);
    });

    it('lists the partner streams', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ resource: '/partner/v1/streams', apiKeyId: 'partner-key-1' }),
        context,
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({
        streams: [
          {
            stream: 'front-door',
            capabilities: ['PLAY'],
            playbackModes: ['LIVE'],
            protocols: ['HLS'],
            maxExpiresInSeconds: 300,
          },
        ],
      });
    });

    it('refuses a partner stream outside its grant with 403', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ ...partnerVend, streamName: 'backyard', apiKeyId: 'partner-key-1' }),
        context,
      );
      expect(response.statusCode).toBe(403);
    });
  });

  describe('GET /v1/streams', () => {
    it('lists what the caller may play, with ISO dates', async () => {
      const { handler, kvs } = setupHandler();
      const token = signToken({ sub: 'bob', groups: ['security'] });
      const response = await handler(
        event({ resource: '/v1/streams', headers: { Authorization: `Bearer ${token}` } }),
        context,
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).streams).toEqual([
        {
          stream: 'backyard',
          capabilities: ['PLAY'],
          playbackModes: ['LIVE'],
          protocols: ['HLS', 'DASH'],
          maxExpiresInSeconds: 3600,
        },
        {
          stream: 'front-door',
          capabilities: ['PLAY'],
          playbackModes: ['LIVE'],
          protocols: ['HLS', 'DASH'],
          maxExpiresInSeconds: 3600,
        },
        {
          stream: 'garage',
          capabilities: ['PLAY'],
          playbackModes: ['LIVE'],
          protocols: ['HLS', 'DASH'],
          maxExpiresInSeconds: 3600,
        },
      ]);
      expect(kvs.listedPrefixes).toEqual(['']);
      expect(response.headers?.['Cache-Control']).toBe('no-store');
    });

    it('formats notAfter as RFC 3339', async () => {
      const { FakeGrantStore } = await import('../core/fakes');
      const grants = new FakeGrantStore([
        {
          principal: 'user:alice',
          grantId: 'x',
          streams: ['front-door'],
          playbackModes: ['LIVE'],
          protocols: ['HLS'],
          maxExpiresInSeconds: 300,
          notAfter: Date.parse('2027-01-01T00:00:00Z'),
        },
      ]);
      const { handler } = setupHandler({ grants });
      const response = await handler(event({ resource: '/v1/streams', headers: auth() }), context);
      expect(bodyOf<{ streams: { notAfter?: string }[] }>(response).streams[0]!.notAfter).toBe(
        '2027-01-01T00:00:00Z',
      );
    });
  });

  describe('routing', () => {
    it('answers an unknown resource with 404 NOT_FOUND', async () => {
      const { handler } = setupHandler();
      const response = await handler(
        event({ resource: '/v2/streams', method: 'GET', headers: auth() }),
        context,
      );
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).error).toMatchObject({ code: 'NOT_FOUND', requestId: 'req-0001' });
      expect(response.headers?.['Cache-Control']).toBe('no-store');
    });

    it.each([
      ['/v1/streams', 'POST', 'GET'],
      ['/v1/streams/{streamName}/playback-url', 'GET', 'POST'],
      ['/partner/v1/streams/{streamName}/playback-url', 'DELETE', 'POST'],
      // Preflights are API Gateway's: invoked directly with OPTIONS, the function refuses it like any method.
      ['/v1/streams/{streamName}/playback-url', 'OPTIONS', 'POST'],
    ])('answers %s %s with 405 and Allow', async (resource, method, allow) => {
      const { handler } = setupHandler();
      const response = await handler(event({ resource, method, headers: auth() }), context);
      expect(response.statusCode).toBe(405);
      expect(response.headers?.Allow).toBe(allow);
      expect(errorOf(response).code).toBe('METHOD_NOT_ALLOWED');
    });

    it('answers 500 INTERNAL with a generic message when something unexpected fails', async () => {
      const { FakeGrantStore } = await import('../core/fakes');
      const grants = new FakeGrantStore([]);
      grants.grantsFor = () => Promise.reject(new Error('socket hang up at 10.0.0.1 with token abc'));
      const { handler } = setupHandler({ grants });
      const { result: response, output } = await captureOutput(() =>
        handler(event({ headers: auth() }), context),
      );
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response)).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong on our side.', requestId: 'req-0001' },
      });
      const audits = jsonLines(output).filter((line) => line.audit !== undefined);
      expect(audits.map((line) => line.audit)).toEqual([
        expect.objectContaining({ status: 500, code: 'INTERNAL', errorName: 'Error' }),
      ]);
      expect(output).not.toContain('socket hang up');
    });
  });

  describe('CORS', () => {
    it('echoes a configured origin with Vary: Origin', async () => {
      const { handler } = setupHandler();
      const response = await handler(event({ headers: { ...auth(), Origin: ORIGIN } }), context);
      expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': ORIGIN, Vary: 'Origin' });
    });

    it('sends no CORS headers to another origin, on errors either', async () => {
      const { handler } = setupHandler();
      const ok = await handler(event({ headers: { ...auth(), Origin: 'https://evil.example' } }), context);
      const denied = await handler(event({ headers: { Origin: 'https://evil.example' } }), context);
      for (const response of [ok, denied]) {
        expect(response.headers).not.toHaveProperty('Access-Control-Allow-Origin');
        expect(response.headers).not.toHaveProperty('Vary');
      }
    });

    it('adds CORS headers to error responses for a configured origin', async () => {
      const { handler } = setupHandler();
      const response = await handler(event({ headers: { Origin: ORIGIN } }), context);
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    });

    it('exposes the headers a page needs: the request id, Retry-After (also to the ms) and the 401 challenge', async () => {
      const { handler } = setupHandler();
      const response = await handler(event({ headers: { Origin: ORIGIN } }), context);
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['Access-Control-Expose-Headers']).toBe(
        'X-Request-Id, Retry-After, Retry-After-Ms, WWW-Authenticate',
      );
    });

    it('does not answer preflights itself (API Gateway does): OPTIONS is a 405 with CORS headers', async () => {
      const { handler } = setupHandler();
      const response = await handler(event({ method: 'OPTIONS', headers: { Origin: ORIGIN } }), context);
      expect(response.statusCode).toBe(405);
      expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': ORIGIN, Allow: 'POST' });
      expect(response.headers).not.toHaveProperty('Access-Control-Allow-Methods');
    });
  });

  describe('logs', () => {
    it('never writes the URL, its session token or the JWT anywhere, and writes one audit line', async () => {
      const { handler } = setupHandler();
      const token = signToken();
      const { result: response, output } = await captureOutput(() =>
        handler(
          event({
            headers: auth(token),
            body: '{"playbackMode":"LIVE_REPLAY","start":"2026-11-25T11:00:00Z"}',
          }),
          context,
        ),
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).url).toBe(SESSION_URL);

      expect(output).not.toContain(SESSION_URL);
      expect(output).not.toContain(SESSION_TOKEN);
      expect(output).not.toContain(token);
      expect(output).not.toContain(token.split('.')[2]!);

      const lines = jsonLines(output);
      const audits = lines.filter((line) => line.audit?.outcome === 'vended');
      expect(audits).toHaveLength(1);
      expect(audits[0]!.correlation_id).toBe('req-0001');
      expect(audits[0]!.audit).toEqual({
        requestId: 'req-0001',
        sourceIp: '203.0.113.7',
        route: 'POST /v1/streams/{streamName}/playback-url',
        outcome: 'vended',
        principal: 'user:alice',
        grantPrincipal: 'user:alice',
        stream: 'front-door',
        protocol: 'HLS',
        playbackMode: 'LIVE_REPLAY',
        window: { start: '2026-11-25T11:00:00Z' },
        expiresAt: new Date(NOW + 300_000).toISOString().replace('.000Z', 'Z'),
        expiresInSeconds: 300,
        maxFragments: 5,
      });
      const emf = lines.find((line) => line._aws !== undefined);
      expect(emf?.Vends).toBe(1);
    });

    it('writes a denial audit line and a Denials metric', async () => {
      const { handler } = setupHandler();
      const token = signToken({ sub: 'bob' });
      const { output } = await captureOutput(() => handler(event({ headers: auth(token) }), context));
      expect(output).not.toContain(token);
      const lines = jsonLines(output);
      expect(lines.filter((line) => line.audit !== undefined).map((line) => line.audit)).toEqual([
        {
          requestId: 'req-0001',
          sourceIp: '203.0.113.7',
          route: 'POST /v1/streams/{streamName}/playback-url',
          outcome: 'refused',
          status: 403,
          code: 'FORBIDDEN',
          principal: 'user:bob',
          stream: 'front-door',
        },
      ]);
      expect(lines.find((line) => line.Denials !== undefined)?.Denials).toBe(1);
      expect(lines.find((line) => line.Refusals !== undefined)).toMatchObject({
        Refusals: 1,
        StatusCode: '403',
      });
    });
  });
});
