import { NOW } from '../core/fakes';
import {
  bodyOf,
  captureOutput,
  context,
  errorOf,
  event,
  jsonLines,
  setupHandler,
  signToken,
} from './support';

/**
 * Findings from outside the tests: every answer writes one audit line, a 401 calls a token "expired" only
 * when it is good in every other respect (its claims included), and a validation error never echoes a
 * field name that could carry a token.
 */
const iat = Math.floor(NOW / 1000);
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"';
const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired"';
const json = (token = signToken()) => ({
  Authorization: `Bearer ${token}`,
  'Content-Type': 'application/json',
});

describe('the audit line of a listing', () => {
  it('writes one "Streams listed" audit line for a successful GET /v1/streams, without a URL or a token', async () => {
    const token = signToken({ sub: 'sam', groups: ['security'] });
    const { handler } = setupHandler();

    const { result, output } = await captureOutput(() =>
      handler(event({ resource: '/v1/streams', headers: json(token), requestId: 'req-list' }), context),
    );

    expect(result.statusCode).toBe(200);
    const streams = bodyOf<{ streams: unknown[] }>(result).streams;
    const audits = jsonLines(output).filter((line) => line.audit !== undefined);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.message).toBe('Streams listed');
    expect(audits[0]!.level).toBe('INFO');
    expect(audits[0]!.correlation_id).toBe('req-list');
    expect(audits[0]!.audit).toEqual({
      outcome: 'listed',
      principal: 'user:sam',
      count: streams.length,
      requestId: 'req-list',
      sourceIp: '203.0.113.7',
      route: 'GET /v1/streams',
    });
    expect(streams.length).toBeGreaterThan(0);
    expect(output).not.toContain(token);
  });
});

describe('"expired" in the 401 challenge', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a groups claim that is a string', { groups: 'admins' }],
    ['65 groups', { groups: Array.from({ length: 65 }, (_, index) => `g${index}`) }],
    ['an empty sub', { sub: '' }],
  ])('says "invalid", not "expired", for an expired token with %s', async (_name, claims) => {
    const { handler } = setupHandler();
    const expiredOnly = await handler(
      event({ headers: json(signToken({ iat: iat - 3600, exp: iat - 60 })) }),
      context,
    );

    const response = await handler(
      event({ headers: json(signToken({ iat: iat - 3600, exp: iat - 60, ...claims })) }),
      context,
    );

    expect(expiredOnly.headers?.['WWW-Authenticate']).toBe(EXPIRED);
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['WWW-Authenticate']).toBe(INVALID);
  });
});

describe('unknown fields in validation details', () => {
  const jwtShaped = `Bearer ${signToken()}`;

  it.each<[string, string]>([
    ['a JWT-shaped name', jwtShaped],
    ['a name with a newline and HTML', 'x\n<script>alert(1)</script>'],
    ['a name of 65 characters', `a${'b'.repeat(64)}`],
    ['a name starting with a digit', '1field'],
  ])('never echoes %s, and still says a field is unknown', async (_name, field) => {
    const { handler } = setupHandler();

    const response = await handler(
      event({ headers: json(), body: JSON.stringify({ protocol: 'HLS', [field]: 1 }) }),
      context,
    );

    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toEqual([{ field: 'body', issue: 'has an unknown field' }]);
    expect(response.body).not.toContain(field);
    expect(response.body).not.toContain('eyJ');
  });

  it('names an unknown field that is a plain identifier of at most 64 characters', async () => {
    const { handler } = setupHandler();
    const field = `expiresInSecond${'s'.repeat(48)}`;

    const response = await handler(
      event({ headers: json(), body: JSON.stringify({ expiresInSecond: 900, [field]: 1 }) }),
      context,
    );

    expect(errorOf(response).details).toEqual([
      { field: 'expiresInSecond', issue: 'unknown field' },
      { field, issue: 'unknown field' },
    ]);
  });

  it('reports several unnamable fields once', async () => {
    const { handler } = setupHandler();

    const response = await handler(
      event({ headers: json(), body: JSON.stringify({ 'a b': 1, 'c-d': 2, ok_name: 3 }) }),
      context,
    );

    expect(errorOf(response).details).toEqual([
      { field: 'body', issue: 'has an unknown field' },
      { field: 'ok_name', issue: 'unknown field' },
    ]);
  });
});
