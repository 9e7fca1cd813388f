import type { Admission } from '../../lambda/core/admission';
import {
  NoMediaError,
  RateLimitedError,
  StreamNotFoundError,
  StreamNotPlayableError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lambda/core/errors';
import type { GrantStore, KvsPort, TokenVerifier } from '../../lambda/core/ports';
import { FakeGrantStore } from '../core/fakes';
import {
  captureOutput,
  context,
  event,
  GRANTS,
  jsonLines,
  setupHandler,
  signToken,
  type EventOptions,
  type LogLine,
} from './support';

/**
 * Every answer of the function that is not a 2xx leaves exactly one audit line (who, which stream, which
 * route, status, code, request id, source IP; never a token or a URL) and one count in the Refusals
 * metric, whatever produced it: validation, authentication, authorization, admission, KVS, a store
 * that is down, or a bug.
 */
const token = signToken();
const VEND = '/v1/streams/{streamName}/playback-url';
const json = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

const failingKvs = (error: Error): KvsPort => ({
  getSessionUrl: () => Promise.reject(error),
  listStreamNames: () => Promise.resolve([]),
});
const downGrants: GrantStore = {
  grantsFor: () => Promise.reject(new UpstreamUnavailableError('The grants store is unavailable.')),
};
const throttled: Admission = {
  admit: () => Promise.reject(new RateLimitedError('Too many requests for this caller.', 3)),
};
const keysDown: TokenVerifier = {
  verify: () => Promise.reject(new UpstreamUnavailableError('The token signing keys are unavailable.')),
};
const bug = new FakeGrantStore(GRANTS);
bug.grantsFor = () => Promise.reject(new TypeError('cannot read properties of undefined'));

interface Case {
  readonly name: string;
  readonly status: number;
  readonly code: string;
  readonly request: EventOptions;
  readonly deps?: Parameters<typeof setupHandler>[0];
  /** What the audit line must say beyond the common fields. */
  readonly audit: Record<string, unknown>;
}

const alice = { principal: 'user:alice', stream: 'front-door' };
const CASES: readonly Case[] = [
  {
    name: 'a rule of the KVS API broken',
    status: 400,
    code: 'INVALID_REQUEST',
    request: { headers: json, body: '{"playbackMode":"ON_DEMAND"}' },
    audit: alice,
  },
  {
    name: 'an invalid stream name (left out of the line)',
    status: 400,
    code: 'INVALID_REQUEST',
    request: { headers: json, body: '{}', streamName: 'a b <script>' },
    audit: { principal: 'user:alice' },
  },
  {
    name: 'no credentials',
    status: 401,
    code: 'UNAUTHENTICATED',
    request: { headers: { 'Content-Type': 'application/json' }, body: '{}' },
    audit: { stream: 'front-door' },
  },
  {
    name: 'an expired token',
    status: 401,
    code: 'UNAUTHENTICATED',
    request: {
      headers: {
        ...json,
        Authorization: `Bearer ${signToken({ iat: Math.floor(Date.parse('2026-11-25T11:00:00Z') / 1000), exp: Math.floor(Date.parse('2026-11-25T11:30:00Z') / 1000) })}`,
      },
      body: '{}',
    },
    audit: { stream: 'front-door' },
  },
  {
    name: 'no grant',
    status: 403,
    code: 'FORBIDDEN',
    request: { headers: json, body: '{}', streamName: 'backyard' },
    audit: { principal: 'user:alice', stream: 'backyard' },
  },
  {
    name: 'an unknown route',
    status: 404,
    code: 'NOT_FOUND',
    request: { resource: '/v2/streams', method: 'GET', headers: json },
    audit: { route: 'unknown' },
  },
  {
    name: 'a stream KVS does not have',
    status: 404,
    code: 'STREAM_NOT_FOUND',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new StreamNotFoundError()) },
    audit: alice,
  },
  {
    name: 'a stream without media',
    status: 404,
    code: 'NO_MEDIA',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new NoMediaError()) },
    audit: alice,
  },
  {
    name: 'a wrong method',
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    request: { resource: '/v1/streams', method: 'DELETE', headers: json },
    audit: { route: 'DELETE /v1/streams' },
  },
  {
    name: 'a body over the cap',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    request: { headers: json, body: JSON.stringify({ pad: 'x'.repeat(9000) }) },
    audit: alice,
  },
  {
    name: 'a body that is not JSON',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    request: { headers: { ...json, 'Content-Type': 'text/plain' }, body: 'hello' },
    audit: alice,
  },
  {
    name: 'a stream KVS cannot play',
    status: 422,
    code: 'STREAM_NOT_PLAYABLE',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new StreamNotPlayableError('The stream is not playable.')) },
    audit: alice,
  },
  {
    name: 'admission',
    status: 429,
    code: 'RATE_LIMITED',
    request: { headers: json, body: '{}' },
    deps: { admission: throttled },
    audit: alice,
  },
  {
    name: 'KVS throttling beyond the retry budget',
    status: 429,
    code: 'RATE_LIMITED',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new RateLimitedError('Kinesis Video Streams is throttling.', 1)) },
    audit: alice,
  },
  {
    name: 'KVS refusing our credentials',
    status: 502,
    code: 'UPSTREAM_ERROR',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new UpstreamError('Kinesis Video Streams refused the request.')) },
    audit: alice,
  },
  {
    name: 'the grants store down',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    request: { headers: json, body: '{}' },
    deps: { grants: downGrants },
    audit: { ...alice, dependency: 'grants' },
  },
  {
    name: 'the grants store down, listing',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    request: { resource: '/v1/streams', method: 'GET', headers: json },
    deps: { grants: downGrants },
    audit: { principal: 'user:alice', route: 'GET /v1/streams', dependency: 'grants' },
  },
  {
    name: 'the token keys never loaded',
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    request: { headers: json, body: '{}' },
    deps: { verifier: keysDown },
    audit: { stream: 'front-door', dependency: 'token-keys' },
  },
  {
    name: 'KVS too slow',
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    request: { headers: json, body: '{}' },
    deps: { kvs: failingKvs(new UpstreamTimeoutError('Kinesis Video Streams did not answer in time.')) },
    audit: { ...alice, dependency: 'kvs' },
  },
  {
    name: 'a bug',
    status: 500,
    code: 'INTERNAL',
    request: { headers: json, body: '{}' },
    deps: { grants: bug },
    audit: { ...alice, errorName: 'TypeError' },
  },
  {
    name: 'a partner without an API key id',
    status: 401,
    code: 'UNAUTHENTICATED',
    request: { resource: '/partner/v1/streams/{streamName}/playback-url', headers: json, body: '{}' },
    audit: { stream: 'front-door', route: 'POST /partner/v1/streams/{streamName}/playback-url' },
  },
];

describe('one audit line and one count for every refusal, through the middy stack', () => {
  it.each(CASES.map((item) => [`${item.status} ${item.code}: ${item.name}`, item] as const))(
    '%s',
    async (_name, item) => {
      const { handler } = setupHandler({ ...item.deps });
      const resource = item.request.resource ?? VEND;

      const { result: response, output } = await captureOutput(() =>
        handler(event({ requestId: 'req-refused', ...item.request }), context),
      );

      expect(response.statusCode).toBe(item.status);
      const lines = jsonLines(output);
      const audits = lines.filter((line: LogLine) => line.audit !== undefined);
      expect(audits).toHaveLength(1);
      const expectedKeys = [
        'requestId',
        'sourceIp',
        'route',
        'outcome',
        'status',
        'code',
        ...Object.keys(item.audit).filter((keyName) => keyName !== 'route'),
      ];
      expect(Object.keys(audits[0]!.audit!).sort()).toEqual([...new Set(expectedKeys)].sort());
      expect(audits[0]!.audit).toEqual({
        requestId: 'req-refused',
        sourceIp: '203.0.113.7',
        route: `${item.request.method ?? 'POST'} ${resource}`,
        outcome: 'refused',
        status: item.status,
        code: item.code,
        ...item.audit,
      });
      expect(audits[0]!.level).toBe(item.status >= 500 ? 'ERROR' : 'WARN');
      expect(audits[0]!.correlation_id).toBe('req-refused');
      const refusals = lines.filter((line) => line.Refusals !== undefined);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ Refusals: 1, StatusCode: String(item.status) });
      expect(JSON.stringify(refusals[0]!._aws)).toContain('"StatusCode"');
      expect(output).not.toContain(token);
      expect(output).not.toMatch(/https?:\/\//);
    },
  );

  it('writes no refusal line, and counts none, for a vend or a listing', async () => {
    const { handler } = setupHandler();

    const { output } = await captureOutput(async () => {
      await handler(event({ headers: json, body: '{}' }), context);
      await handler(event({ resource: '/v1/streams', headers: json }), context);
    });

    const lines = jsonLines(output);
    expect(lines.filter((line) => line.audit?.outcome === 'refused')).toEqual([]);
    expect(lines.filter((line) => line.audit?.outcome === 'vended')).toHaveLength(1);
    expect(lines.filter((line) => line.audit?.outcome === 'listed')).toHaveLength(1);
    expect(lines.filter((line) => line.Refusals !== undefined)).toEqual([]);
  });
});
