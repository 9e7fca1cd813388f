import type { Admission } from '../../lambda/core/admission';
import { ForbiddenError } from '../../lambda/core/errors';
import { listPlayableStreams } from '../../lambda/core/list-playable-streams';
import type { Caller, Grant, SessionUrlRequest } from '../../lambda/core/model';
import type { KvsPort } from '../../lambda/core/ports';
import { vendPlaybackUrl, type VendDeps } from '../../lambda/core/vend-playback-url';
import { alice, FakeGrantStore, FakeKvs, grant, HOUR_MS, NOW } from './fakes';

/**
 * What a grant allows and nothing more: a LIVE session reaches back no further than a live edge needs,
 * a session never outlives the `notAfter` of the grant that allowed it, and producer timestamps cannot
 * stretch an archive window.
 */
const SLACK_MS = 4_000;

function setup(grants: readonly Grant[], overrides: Partial<VendDeps> = {}) {
  let now = NOW;
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  const kvs = new FakeKvs();
  const deps: VendDeps = {
    grants: new FakeGrantStore(grants),
    kvs,
    clock,
    sessionStartSlackMs: SLACK_MS,
    ...overrides,
  };
  return { deps, kvs, clock };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

const vend = (deps: VendDeps, body: Record<string, unknown>, caller: Caller = alice) =>
  vendPlaybackUrl(deps, { caller, streamName: 'front-door', body });

describe('LIVE sessions reach back no further than the live edge', () => {
  it.each(['HLS', 'DASH'])(
    'clamps a %s LIVE maxFragments of 5000 to the configured maximum',
    async (protocol) => {
      const { deps, kvs } = setup([grant({ playbackModes: ['LIVE'] })]);

      const result = await vend(deps, { protocol, maxFragments: 5000 });

      expect(kvs.sessionRequests[0]!.maxFragments).toBe(10);
      expect(result.maxFragments).toBe(10);
    },
  );

  it('keeps a smaller LIVE request as asked, and states the KVS default when none is asked', async () => {
    const { deps, kvs } = setup([grant()]);

    const asked = await vend(deps, { maxFragments: 3 });
    const unasked = await vend(deps, {});

    expect(asked.maxFragments).toBe(3);
    expect(unasked.maxFragments).toBe(5);
    expect(kvs.sessionRequests.map((request) => request.maxFragments)).toEqual([3, 5]);
  });

  it('follows a configured maximum, below the KVS default too', async () => {
    const { deps, kvs } = setup([grant()], { liveMaxFragments: 3 });

    const result = await vend(deps, {});

    expect(result.maxFragments).toBe(3);
    expect(kvs.sessionRequests[0]!.maxFragments).toBe(3);
  });

  it('leaves archived modes alone: their start is what the archive window checks', async () => {
    const { deps, kvs } = setup([grant({ archiveWindowSeconds: 2 * 3600 })]);

    const replay = await vend(deps, {
      playbackMode: 'LIVE_REPLAY',
      start: new Date(NOW - HOUR_MS).toISOString(),
      maxFragments: 5000,
    });
    const onDemand = await vend(deps, {
      playbackMode: 'ON_DEMAND',
      start: new Date(NOW - HOUR_MS).toISOString(),
      end: new Date(NOW - 1000).toISOString(),
    });

    expect(replay.maxFragments).toBe(5000);
    expect(onDemand.maxFragments).toBe(1000);
    expect(kvs.sessionRequests.map((request) => request.maxFragments)).toEqual([5000, 1000]);
  });
});

describe('notAfter bounds the session', () => {
  it('refuses a grant that ends before a shortest session could (35 s left, 12 h maximum)', async () => {
    const { deps, kvs } = setup([grant({ notAfter: NOW + 35_000, maxExpiresInSeconds: 43_200 })]);

    const error = await refusal(vend(deps, { expiresInSeconds: 43_200 }));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe(new ForbiddenError().message);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('shortens the session so that it ends before notAfter, KVS retry budget included', async () => {
    const notAfter = NOW + 1_000_000;
    const { deps, kvs } = setup([grant({ notAfter, maxExpiresInSeconds: 43_200 })]);

    const result = await vend(deps, { expiresInSeconds: 43_200 });

    expect(result.expiresInSeconds).toBe(996);
    expect(kvs.sessionRequests[0]!.expiresInSeconds).toBe(996);
    expect(result.expiresAt).toBe(NOW + 996_000);
    expect(result.expiresAt + SLACK_MS).toBeLessThanOrEqual(notAfter);
  });

  it('allows exactly 300 s plus the retry budget, and refuses one millisecond less', async () => {
    const enough = setup([grant({ notAfter: NOW + 300_000 + SLACK_MS })]);
    const short = setup([grant({ notAfter: NOW + 300_000 + SLACK_MS - 1 })]);

    await expect(vend(enough.deps, {})).resolves.toMatchObject({ expiresInSeconds: 300 });
    await expect(vend(short.deps, {})).rejects.toBeInstanceOf(ForbiddenError);
  });

  const twoGrants = (expiringInMs: number): Grant[] => [
    grant({ grantId: 'expiring', notAfter: NOW + expiringInMs, maxExpiresInSeconds: 43_200 }),
    grant({ grantId: 'lasting', principal: 'group:staff', maxExpiresInSeconds: 600 }),
  ];
  const staffAlice: Caller = { kind: 'user', id: 'alice', principals: ['user:alice', 'group:staff'] };

  it('of two allowing grants takes the expiring one when it still gives the longer session', async () => {
    const { deps } = setup(twoGrants(2_000_000));

    const result = await vend(deps, { expiresInSeconds: 43_200 }, staffAlice);

    expect(result.expiresInSeconds).toBe(1996);
    expect(result.grantPrincipal).toBe('user:alice');
  });

  it('of two allowing grants takes the lasting one when the expiring one gives less', async () => {
    const { deps } = setup(twoGrants(500_000));

    const result = await vend(deps, { expiresInSeconds: 43_200 }, staffAlice);

    expect(result.expiresInSeconds).toBe(600);
    expect(result.grantPrincipal).toBe('group:staff');
  });

  it('still ends before notAfter when the admission and a slow KVS take their time', async () => {
    const notAfter = NOW + 1_000_000;
    const { deps, clock } = setup([grant({ notAfter, maxExpiresInSeconds: 43_200 })]);
    const admission: Admission = {
      admit: () => {
        clock.advance(1_500);
        return Promise.resolve();
      },
    };
    let sessionEndsAt = 0;
    const slowKvs: KvsPort = {
      getSessionUrl: (request: SessionUrlRequest) => {
        // KVS starts the session's clock when it answers: at the very end of the retry budget.
        clock.advance(SLACK_MS);
        sessionEndsAt = clock.now() + request.expiresInSeconds * 1000;
        return Promise.resolve('https://kvs.test/hls?SessionToken=T');
      },
      listStreamNames: () => Promise.resolve([]),
    };

    const result = await vend({ ...deps, admission, kvs: slowKvs }, { expiresInSeconds: 43_200 });

    expect(sessionEndsAt).toBeLessThanOrEqual(notAfter);
    expect(result.expiresAt).toBeLessThanOrEqual(sessionEndsAt);
    expect(result.expiresInSeconds).toBe(994);
  });

  it('refuses when the admission ate the last seconds the grant could give', async () => {
    const { deps, kvs, clock } = setup([grant({ notAfter: NOW + 300_000 + SLACK_MS + 500 })]);
    const admission: Admission = {
      admit: () => {
        clock.advance(1_000);
        return Promise.resolve();
      },
    };

    await expect(vend({ ...deps, admission }, {})).rejects.toBeInstanceOf(ForbiddenError);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('advertises in the stream list only what a grant can still give', async () => {
    const { deps } = setup([
      grant({
        grantId: 'ending',
        streams: ['front-door'],
        notAfter: NOW + 1_000_000,
        maxExpiresInSeconds: 43_200,
      }),
      grant({ grantId: 'almost-gone', streams: ['backyard'], notAfter: NOW + 200_000 }),
    ]);

    const streams = await listPlayableStreams(deps, alice);

    expect(streams).toEqual([
      expect.objectContaining({ stream: 'front-door', maxExpiresInSeconds: 996, notAfter: NOW + 1_000_000 }),
    ]);
  });
});

describe('producer timestamps cannot stretch an archive window', () => {
  const replay = (timestampSource: string) => ({
    playbackMode: 'LIVE_REPLAY',
    timestampSource,
    start: new Date(NOW - 300_000).toISOString(),
  });

  it('refuses an archived request with producer timestamps under a grant with an archive window', async () => {
    const { deps, kvs } = setup([grant({ archiveWindowSeconds: 600 })]);

    const error = await refusal(vend(deps, replay('PRODUCER')));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(kvs.sessionRequests).toEqual([]);
  });

  it('allows it under a grant that opts in, and under a grant without an archive window', async () => {
    const optedIn = setup([grant({ archiveWindowSeconds: 600, producerTimestamps: true })]);
    const unbounded = setup([grant()]);

    await expect(vend(optedIn.deps, replay('PRODUCER'))).resolves.toMatchObject({
      playbackMode: 'LIVE_REPLAY',
    });
    await expect(vend(unbounded.deps, replay('PRODUCER'))).resolves.toMatchObject({
      playbackMode: 'LIVE_REPLAY',
    });
  });

  it('still applies the window to an opted-in grant (checked against server time)', async () => {
    const { deps } = setup([grant({ archiveWindowSeconds: 600, producerTimestamps: true })]);

    const error = await refusal(
      vend(deps, { ...replay('PRODUCER'), start: new Date(NOW - 601_000).toISOString() }),
    );

    expect(error).toBeInstanceOf(ForbiddenError);
  });

  it('keeps server timestamps and LIVE with producer timestamps allowed under a windowed grant', async () => {
    const { deps } = setup([grant({ archiveWindowSeconds: 600 })]);

    await expect(vend(deps, replay('SERVER'))).resolves.toMatchObject({ playbackMode: 'LIVE_REPLAY' });
    await expect(vend(deps, { timestampSource: 'PRODUCER' })).resolves.toMatchObject({
      playbackMode: 'LIVE',
    });
  });
});
