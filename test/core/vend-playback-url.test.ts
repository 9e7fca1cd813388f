import type { Admission } from '../../lambda/core/admission';
import type { SessionLog, SessionRecord } from '../../lambda/core/sessions';
import { ForbiddenError, InvalidRequestError, RateLimitedError } from '../../lambda/core/errors';
import type { KvsPort } from '../../lambda/core/ports';
import { vendPlaybackUrl } from '../../lambda/core/vend-playback-url';
import { alice, FakeGrantStore, FakeKvs, grant, HOUR_MS, NOW } from './fakes';

function setup(grants = [grant()]) {
  const store = new FakeGrantStore(grants);
  const kvs = new FakeKvs();
  return { store, kvs, deps: { grants: store, kvs, clock: { now: () => NOW + 750 } } };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('vendPlaybackUrl', () => {
  it('vends a URL with the clamped expiry and an expiresAt rounded down to the second', async () => {
    const { deps, kvs } = setup([grant({ maxExpiresInSeconds: 600 })]);

    const result = await vendPlaybackUrl(deps, {
      caller: alice,
      streamName: 'front-door',
      body: { protocol: 'DASH', expiresInSeconds: 3600, maxFragments: 5 },
    });

    expect(kvs.sessionRequests).toEqual([
      {
        streamName: 'front-door',
        protocol: 'DASH',
        playbackMode: 'LIVE',
        timestampSource: 'SERVER',
        maxFragments: 5,
        expiresInSeconds: 600,
      },
    ]);
    expect(result).toEqual({
      url: expect.stringContaining('SessionToken=') as unknown,
      protocol: 'DASH',
      stream: 'front-door',
      playbackMode: 'LIVE',
      expiresInSeconds: 600,
      expiresAt: NOW + 600_000,
      maxFragments: 5,
      grantPrincipal: 'user:alice',
    });
  });

  it('returns the window of an archived session', async () => {
    const { deps } = setup();
    const start = NOW - 2 * HOUR_MS;
    const end = NOW - HOUR_MS;
    const result = await vendPlaybackUrl(deps, {
      caller: alice,
      streamName: 'front-door',
      body: {
        playbackMode: 'ON_DEMAND',
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
      },
    });
    expect(result.start).toBe(start);
    expect(result.end).toBe(end);
  });

  it.each(['', 'a/b', '../x', 'front door', 'x'.repeat(257), 'frónt-door'])(
    'rejects the stream name %p before reading the body, the grants or KVS',
    async (streamName) => {
      const { deps, store, kvs } = setup();
      const error = await errorOf(
        vendPlaybackUrl(deps, { caller: alice, streamName, body: { unknown: true } }),
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).details).toEqual([
        expect.objectContaining({ field: 'streamName' }),
      ]);
      expect(store.calls).toEqual([]);
      expect(kvs.sessionRequests).toEqual([]);
    },
  );

  it('rejects an invalid body before reading the grants', async () => {
    const { deps, store, kvs } = setup();
    const error = await errorOf(
      vendPlaybackUrl(deps, { caller: alice, streamName: 'front-door', body: { expiresInSeconds: 5 } }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(store.calls).toEqual([]);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('asks the store for the caller principals and never calls KVS when forbidden', async () => {
    const { deps, store, kvs } = setup([grant({ protocols: ['HLS'] })]);
    const error = await errorOf(
      vendPlaybackUrl(deps, { caller: alice, streamName: 'front-door', body: { protocol: 'DASH' } }),
    );
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(store.calls).toEqual([['user:alice']]);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('answers a stream that exists and one that does not with the same refusal', async () => {
    const { deps, kvs } = setup([grant({ principal: 'user:bob', streams: ['*'] })]);
    const existing = await errorOf(vendPlaybackUrl(deps, { caller: alice, streamName: 'garage', body: {} }));
    const missing = await errorOf(
      vendPlaybackUrl(deps, { caller: alice, streamName: 'no-such-stream', body: {} }),
    );
    expect(existing).toBeInstanceOf(ForbiddenError);
    expect(missing).toBeInstanceOf(ForbiddenError);
    expect(missing.message).toBe(existing.message);
    expect(kvs.sessionRequests).toEqual([]);
    expect(kvs.listedPrefixes).toEqual([]);
  });

  it('consults the admission after authorization and stops before KVS when it refuses', async () => {
    const { deps, kvs } = setup();
    const admitted: unknown[] = [];
    const admission: Admission = {
      admit: (request) => {
        admitted.push({ stream: request.streamName, grants: request.grants?.length });
        return Promise.reject(new RateLimitedError('slow down', 2));
      },
    };
    const error = await errorOf(
      vendPlaybackUrl({ ...deps, admission }, { caller: alice, streamName: 'front-door', body: {} }),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(admitted).toEqual([{ stream: 'front-door', grants: 1 }]);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('never consults the admission for a forbidden request', async () => {
    const { deps } = setup([]);
    const admit = jest.fn(() => Promise.resolve());
    await expect(
      vendPlaybackUrl(
        { ...deps, admission: { admit } },
        { caller: alice, streamName: 'front-door', body: {} },
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(admit).not.toHaveBeenCalled();
  });

  describe('session log and session cap', () => {
    /** The session log in memory, as the DynamoDB one behaves: a cap counts the outstanding records. */
    class MemorySessionLog implements SessionLog {
      readonly records: SessionRecord[] = [];
      constructor(private readonly now = NOW) {}
      open(session: SessionRecord, cap?: number): Promise<boolean> {
        const outstanding = this.records.filter(
          (record) => record.principal === session.principal && record.expiresAt > this.now,
        );
        if (cap !== undefined && outstanding.length >= cap) return Promise.resolve(false);
        this.records.push(session);
        return Promise.resolve(true);
      }
      discard(session: SessionRecord): Promise<void> {
        const index = this.records.indexOf(session);
        if (index >= 0) this.records.splice(index, 1);
        return Promise.resolve();
      }
    }

    it('records every vend (who, what, when, from where; never the URL) before KVS is called', async () => {
      const { deps, kvs } = setup([grant({ principal: 'group:staff', maxExpiresInSeconds: 600 })]);
      const log = new MemorySessionLog();
      const staff = { ...alice, principals: ['user:alice', 'group:staff'] };
      const result = await vendPlaybackUrl(
        { ...deps, sessions: { log } },
        {
          caller: staff,
          streamName: 'front-door',
          body: { playbackMode: 'ON_DEMAND', start: '2026-11-25T11:00:00Z', end: '2026-11-25T11:10:00Z' },
          origin: { requestId: 'req-1', sourceIp: '198.51.100.7', userAgent: 'ExamplePlayer/1.0' },
        },
      );
      expect(log.records).toEqual([
        {
          principal: 'user:alice',
          grantPrincipal: 'group:staff',
          stream: 'front-door',
          protocol: 'HLS',
          playbackMode: 'ON_DEMAND',
          start: Date.parse('2026-11-25T11:00:00Z'),
          end: Date.parse('2026-11-25T11:10:00Z'),
          expiresAt: result.expiresAt,
          createdAt: NOW + 750,
          requestId: 'req-1',
          sourceIp: '198.51.100.7',
          userAgent: 'ExamplePlayer/1.0',
        },
      ]);
      expect(JSON.stringify(log.records)).not.toContain('SessionToken');
      expect(kvs.sessionRequests).toHaveLength(1);
    });

    it('counts each vend until its expiresAt and refuses past the cap with 429 before KVS', async () => {
      const { deps, kvs } = setup();
      const log = new MemorySessionLog();
      const sessions = { log, capPerUser: 2 };
      const input = { caller: alice, streamName: 'front-door', body: {} };
      const first = await vendPlaybackUrl({ ...deps, sessions }, input);
      await vendPlaybackUrl({ ...deps, sessions }, input);
      const error = await errorOf(vendPlaybackUrl({ ...deps, sessions }, input));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
      expect(log.records.map((record) => record.expiresAt)).toEqual([first.expiresAt, first.expiresAt]);
      expect(kvs.sessionRequests).toHaveLength(2);
    });

    it('takes the record back when KVS fails, so a failed vend does not count', async () => {
      const { deps } = setup();
      const log = new MemorySessionLog();
      const failingKvs: KvsPort = {
        getSessionUrl: () => Promise.reject(new Error('KVS down')),
        listStreamNames: () => Promise.resolve([]),
      };
      const error = await errorOf(
        vendPlaybackUrl(
          { ...deps, kvs: failingKvs, sessions: { log, capPerUser: 1 } },
          { caller: alice, streamName: 'front-door', body: {} },
        ),
      );
      expect(error.message).toBe('KVS down');
      expect(log.records).toEqual([]);
    });

    it('does not cap partners (their usage plan and caller limit apply instead), but records them', async () => {
      const partner = { kind: 'partner' as const, id: 'k1', principals: ['partner:k1'] };
      const { deps } = setup([grant({ principal: 'partner:k1' })]);
      const log = new MemorySessionLog();
      const sessions = { log, capPerUser: 1 };
      const input = { caller: partner, streamName: 'front-door', body: {} };
      await vendPlaybackUrl({ ...deps, sessions }, input);
      await expect(vendPlaybackUrl({ ...deps, sessions }, input)).resolves.toMatchObject({
        stream: 'front-door',
      });
      expect(log.records.map((record) => record.principal)).toEqual(['partner:k1', 'partner:k1']);
    });

    it('records nothing for a refused vend', async () => {
      const { deps } = setup();
      const log = new MemorySessionLog();
      await expect(
        vendPlaybackUrl({ ...deps, sessions: { log } }, { caller: alice, streamName: 'backyard', body: {} }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      expect(log.records).toEqual([]);
    });
  });

  describe('revocations', () => {
    const revoked = (principal: string, until?: number) => ({
      principal,
      revokedAt: NOW - HOUR_MS,
      ...(until !== undefined ? { until } : {}),
    });

    it('refuses a revoked user with the same 403 as a request no grant allows, before KVS and the session log', async () => {
      const store = new FakeGrantStore([grant()], [revoked('user:alice')]);
      const kvs = new FakeKvs();
      const error = await errorOf(
        vendPlaybackUrl(
          { grants: store, kvs, clock: { now: () => NOW } },
          { caller: alice, streamName: 'front-door', body: {} },
        ),
      );
      const unGranted = await errorOf(
        vendPlaybackUrl(
          { grants: new FakeGrantStore([]), kvs, clock: { now: () => NOW } },
          { caller: alice, streamName: 'front-door', body: {} },
        ),
      );
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe(unGranted.message);
      expect(kvs.sessionRequests).toEqual([]);
    });

    it("stops what a revoked group grants, while the member's own grants still count", async () => {
      const staff = { ...alice, principals: ['user:alice', 'group:staff'] };
      const grants = [
        grant({ principal: 'group:staff', grantId: 'all', streams: ['*'] }),
        grant({ principal: 'user:alice', grantId: 'own', streams: ['front-door'] }),
      ];
      const store = new FakeGrantStore(grants, [revoked('group:staff')]);
      const deps = { grants: store, kvs: new FakeKvs(), clock: { now: () => NOW } };
      await expect(
        vendPlaybackUrl(deps, { caller: staff, streamName: 'backyard', body: {} }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        vendPlaybackUrl(deps, { caller: staff, streamName: 'front-door', body: {} }),
      ).resolves.toMatchObject({ grantPrincipal: 'user:alice' });
    });

    it('counts a revocation until its end only', async () => {
      const store = new FakeGrantStore([grant()], [revoked('user:alice', NOW + 1000)]);
      const deps = { grants: store, kvs: new FakeKvs() };
      const input = { caller: alice, streamName: 'front-door', body: {} };
      await expect(vendPlaybackUrl({ ...deps, clock: { now: () => NOW } }, input)).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(
        vendPlaybackUrl({ ...deps, clock: { now: () => NOW + 1000 } }, input),
      ).resolves.toMatchObject({ stream: 'front-door' });
    });
  });
});
