import type { KvsUrlVendingClient } from '../../packages/client/src/client';
import { ApiError } from '../../packages/client/src/errors';
import {
  createPlaybackSession,
  type PlaybackSessionEvent,
  type PlaybackSessionOptions,
} from '../../packages/client/src/playback-session';
import type { PlaybackUrl, PlaybackUrlRequest } from '../../packages/client/src/types';
import { FakeClock, seededRandom, settle } from './support/fake-clock';

type Outcome = ApiError | Partial<PlaybackUrl>;

/** An API that answers from a script (then successes), recording when it was called and with what. */
class ScriptedApi implements Pick<KvsUrlVendingClient, 'createPlaybackUrl'> {
  readonly calls: { atMs: number; request: PlaybackUrlRequest }[] = [];
  private issued = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly script: Outcome[] = [],
  ) {}

  createPlaybackUrl(_stream: string, request: PlaybackUrlRequest = {}): Promise<PlaybackUrl> {
    this.calls.push({ atMs: this.clock.now(), request });
    const outcome = this.script.shift() ?? {};
    if (outcome instanceof ApiError) return Promise.reject(outcome);
    this.issued += 1;
    const expiresInSeconds = outcome.expiresInSeconds ?? 300;
    return Promise.resolve({
      url: `https://b-1.kinesisvideo.example/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=secret-${this.issued}`,
      protocol: request.protocol ?? 'HLS',
      stream: 'front-door',
      playbackMode: request.playbackMode ?? 'LIVE',
      expiresAt: new Date(this.clock.now() + expiresInSeconds * 1000).toISOString(),
      expiresInSeconds,
      maxFragments: 5,
      ...outcome,
    });
  }

  /** Seconds since `startMs` of each call. */
  secondsOfCalls(startMs: number): number[] {
    return this.calls.map((call) => (call.atMs - startMs) / 1000);
  }
}

const apiError = (status: number, code: string, retryAfterSeconds?: number): ApiError =>
  new ApiError({
    status,
    code: code as ApiError['code'],
    message: code,
    requestId: 'req-1',
    retryAfterSeconds,
  });

function setUp(script: Outcome[] = [], options: Partial<PlaybackSessionOptions> = {}) {
  const clock = new FakeClock();
  const startMs = clock.now();
  const api = new ScriptedApi(clock, script);
  const events: PlaybackSessionEvent[] = [];
  const session = createPlaybackSession(api, {
    stream: 'front-door',
    clock,
    random: () => 0.5,
    ...options,
  });
  session.subscribe((event) => events.push(event));
  return { clock, startMs, api, events, session };
}

describe('playback session: renewal schedule', () => {
  it('renews between renewBefore and renewBefore + jitter ahead of expiry, and keeps doing so', async () => {
    const { clock, startMs, api, session } = setUp([], { random: () => 0.5 });

    await session.ready();
    await clock.advance(1_000_000);

    // lead = 30 s + 0.5 × 90 s = 75 s: every 225 s.
    expect(api.secondsOfCalls(startMs).slice(0, 5)).toEqual([0, 225, 450, 675, 900]);
    expect(session.current?.generation).toBe(api.calls.length);
  });

  it('never renews later than renewBeforeSeconds, nor earlier than renewBefore + jitter', async () => {
    const late = setUp([], { random: () => 0 });
    const early = setUp([], { random: () => 0.999999 });

    await Promise.all([late.session.ready(), early.session.ready()]);
    await Promise.all([late.clock.advance(300_000), early.clock.advance(300_000)]);

    expect(late.api.secondsOfCalls(late.startMs)[1]).toBe(270);
    expect(early.api.secondsOfCalls(early.startMs)[1]).toBeCloseTo(180, 0);
  });

  it('spreads a thousand viewers who started in the same second over 90 s, under 25 renewals per second', async () => {
    const clock = new FakeClock();
    const startMs = clock.now();
    const api = new ScriptedApi(clock);
    const random = seededRandom(16);
    const sessions = Array.from({ length: 1000 }, () =>
      createPlaybackSession(api, { stream: 'front-door', clock, random }),
    );

    await Promise.all(sessions.map((session) => session.ready()));
    await clock.advance(280_000);

    const renewals = api.secondsOfCalls(startMs).filter((seconds) => seconds > 0);
    const perSecond = new Map<number, number>();
    for (const seconds of renewals)
      perSecond.set(Math.floor(seconds), (perSecond.get(Math.floor(seconds)) ?? 0) + 1);
    expect(renewals).toHaveLength(1000);
    expect(Math.min(...renewals)).toBeGreaterThanOrEqual(180);
    expect(Math.max(...renewals)).toBeLessThanOrEqual(270);
    expect(Math.max(...renewals) - Math.min(...renewals)).toBeGreaterThan(85);
    expect(Math.max(...perSecond.values())).toBeLessThan(25);
    sessions.forEach((session) => session.stop());
  });

  it('counts the lifetime from when the answer arrived, not from expiresAt (a device clock may be off)', async () => {
    const { clock, startMs, api, session } = setUp(
      [{ expiresAt: '2000-01-01T00:00:00Z', expiresInSeconds: 600 }],
      {
        random: () => 0,
      },
    );

    await session.ready();
    await clock.advance(600_000);

    expect(api.secondsOfCalls(startMs).slice(0, 2)).toEqual([0, 570]);
  });

  it('tells when the session expired before a renewal succeeded, and keeps trying', async () => {
    const failing = Array.from({ length: 20 }, () => apiError(503, 'UPSTREAM_UNAVAILABLE'));
    const { clock, api, session, events } = setUp([{}, ...failing], { random: () => 0 });

    await session.ready();
    await clock.advance(301_000);

    expect(events.map((event) => event.type)).toContain('expired');
    expect(events).toContainEqual({ type: 'expired', generation: 1 });
    expect(session.state).toBe('renewing');
    expect(api.calls.length).toBeGreaterThan(3);
  });
});

describe('playback session: the player was refused (403 from KVS)', () => {
  it('renews at once, without waiting for the schedule', async () => {
    const { clock, startMs, api, session, events } = setUp();
    await session.ready();
    await clock.advance(10_000);

    const fresh = await session.renew('player-refused', 1);

    expect(api.secondsOfCalls(startMs)).toEqual([0, 10]);
    expect(fresh?.generation).toBe(2);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'vended', generation: 2, reason: 'player-refused' }),
    );
  });

  it('vends once for many refused requests at the same time, and not at all for a refusal of an older session', async () => {
    const { api, session } = setUp();
    await session.ready();

    await Promise.all([1, 1, 1, 1].map((generation) => session.renew('player-refused', generation)));
    await session.renew('player-refused', 1);

    expect(api.calls).toHaveLength(2);
  });

  it('gives up when KVS refuses more than three fresh sessions within a minute', async () => {
    const { clock, api, session, events } = setUp();
    await session.ready();

    for (let i = 0; i < 5; i += 1) {
      await session.renew('player-refused', session.current?.generation);
      await clock.advance(1_000);
    }

    expect(api.calls).toHaveLength(4);
    expect(session.state).toBe('failed');
    expect(events[events.length - 1]).toMatchObject({ type: 'stopped', reason: 'error' });
  });
});

describe('playback session: answers that are not a URL', () => {
  it('honours Retry-After on 429: no call before it, one soon after', async () => {
    const { clock, startMs, api, session, events } = setUp([apiError(429, 'RATE_LIMITED', 7)], {
      random: () => 0.999,
    });

    const ready = session.ready();
    await clock.advance(6_999);
    const before = api.calls.length;
    await clock.advance(3_000);
    await ready;

    expect(before).toBe(1);
    const retryAt = api.secondsOfCalls(startMs)[1]!;
    expect(retryAt).toBeGreaterThanOrEqual(7);
    expect(retryAt).toBeLessThan(10);
    expect(events[0]).toMatchObject({
      type: 'retrying',
      code: 'RATE_LIMITED',
      status: 429,
      requestId: 'req-1',
    });
  });

  it('waits exactly what Retry-After-Ms says when the service sent it: its place, already spread', async () => {
    const limited = new ApiError({
      status: 429,
      code: 'RATE_LIMITED',
      message: 'RATE_LIMITED',
      requestId: 'req-1',
      retryAfterSeconds: 2,
      retryAfterMs: 1_250,
    });
    // Jitter would add up to 1.5 s to a whole-second wait: random() is at its largest here.
    const { clock, startMs, api, session, events } = setUp([limited], { random: () => 0.999 });

    const ready = session.ready();
    await clock.advance(1_249);
    const before = api.calls.length;
    await clock.advance(1);
    await ready;

    expect(before).toBe(1);
    expect(api.secondsOfCalls(startMs)[1]).toBeCloseTo(1.25, 3);
    expect(events[0]).toMatchObject({ type: 'retrying', status: 429, retryInSeconds: 1, retryInMs: 1_250 });
  });

  it('backs off exponentially on 503s that say Retry-After too, never sooner than they say', async () => {
    const failures = Array.from({ length: 6 }, () => apiError(503, 'UPSTREAM_UNAVAILABLE', 2));
    const { clock, startMs, api, session } = setUp(failures, { random: () => 0, maxRetrySeconds: 30 });

    const ready = session.ready();
    await clock.advance(120_000);
    await ready;

    const at = api.secondsOfCalls(startMs);
    const gaps = at.slice(1).map((second, index) => second - at[index]!);
    // random() = 0: half of each doubling ceiling (1, 2, 4, 8, 16 s, then maxRetrySeconds), at least the 2 s told.
    expect(gaps).toEqual([2, 2, 2, 4, 8, 15]);
  });

  it('backs off exponentially on 5xx and network faults, capped at maxRetrySeconds', async () => {
    const failures = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? apiError(0, 'NETWORK_ERROR') : apiError(503, 'UPSTREAM_UNAVAILABLE'),
    );
    const { clock, startMs, api, session } = setUp(failures, { random: () => 0.999, maxRetrySeconds: 30 });

    const ready = session.ready();
    await clock.advance(400_000);
    await ready;

    const times = api.secondsOfCalls(startMs).slice(0, 9);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 5).map(Math.round)).toEqual([1, 2, 4, 8, 16]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(29);
  });

  it('polls gently while the stream has no media (404 NO_MEDIA), then plays when media arrives', async () => {
    const offline = Array.from({ length: 7 }, () => apiError(404, 'NO_MEDIA'));
    const { clock, startMs, api, session, events } = setUp(offline, { random: () => 0.5 });

    const ready = session.ready();
    await clock.advance(5 * 60_000);
    const active = await ready;

    const times = api.secondsOfCalls(startMs);
    const gaps = times.slice(1, 8).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([5, 10, 20, 40, 60, 60, 60]);
    expect(active.generation).toBe(1);
    expect(events.filter((event) => event.type === 'waiting-for-media')).toHaveLength(7);
    expect(events[0]).toMatchObject({ type: 'waiting-for-media', attempt: 1, retryInSeconds: 5 });
  });

  it.each(['FORBIDDEN', 'STREAM_NOT_FOUND', 'STREAM_NOT_PLAYABLE', 'INVALID_REQUEST', 'UNAUTHENTICATED'])(
    'stops for good on %s: no further call, ready() rejects with the error',
    async (code) => {
      const status =
        { FORBIDDEN: 403, STREAM_NOT_FOUND: 404, STREAM_NOT_PLAYABLE: 422, INVALID_REQUEST: 400 }[code] ??
        401;
      const { clock, api, session, events } = setUp([apiError(status, code)]);

      await expect(session.ready()).rejects.toMatchObject({ code, status });
      await clock.advance(3_600_000);

      expect(api.calls).toHaveLength(1);
      expect(session.state).toBe('failed');
      expect(events).toEqual([expect.objectContaining({ type: 'stopped', reason: 'error' })]);
    },
  );

  it('stops on FORBIDDEN at a renewal (a grant revoked while watching)', async () => {
    const { clock, api, session } = setUp([{}, apiError(403, 'FORBIDDEN')], { random: () => 0 });
    await session.ready();

    await clock.advance(3_600_000);

    expect(api.calls).toHaveLength(2);
    expect(session.state).toBe('failed');
  });

  it('stop() cancels the schedule and any wait', async () => {
    const { clock, api, session } = setUp([apiError(404, 'NO_MEDIA')]);
    const ready = session.ready();
    await settle();

    session.stop();
    await clock.advance(3_600_000);

    await expect(ready).rejects.toThrow('stopped');
    expect(api.calls).toHaveLength(1);
    expect(session.state).toBe('stopped');
  });
});

describe('playback session: requests', () => {
  it('moves a LIVE_REPLAY start along with the replay, so a renewal does not rewind it', async () => {
    const start = '2026-11-25T11:00:00.000Z';
    const { clock, api, session } = setUp([], {
      playbackMode: 'LIVE_REPLAY',
      start,
      random: () => 0,
    });

    await session.ready();
    await clock.advance(280_000);

    expect(api.calls[0]!.request.start).toBe(start);
    expect(api.calls[1]!.request).toMatchObject({
      playbackMode: 'LIVE_REPLAY',
      start: '2026-11-25T11:04:30.000Z',
    });
  });

  it('sends the same request for LIVE and ON_DEMAND renewals, and nothing of its own options', async () => {
    const request = {
      protocol: 'DASH',
      playbackMode: 'ON_DEMAND',
      start: '2026-11-25T10:00:00Z',
      end: '2026-11-25T10:05:00Z',
    } as const;
    const { clock, api, session } = setUp([], { ...request, random: () => 0 });

    await session.ready();
    await clock.advance(280_000);

    expect(api.calls.map((call) => call.request)).toEqual([request, request]);
  });
});

describe('playback session: the URL stays out of sight', () => {
  it('puts the URL in no event, no JSON and no string form of the session', async () => {
    const { clock, session, events } = setUp([apiError(429, 'RATE_LIMITED', 1)], { random: () => 0 });
    const log = jest.spyOn(console, 'log');
    const warn = jest.spyOn(console, 'warn');
    const error = jest.spyOn(console, 'error');

    const active = await Promise.all([session.ready(), clock.advance(3_000)]).then(([first]) => first);
    await clock.advance(600_000);

    const visible = [
      JSON.stringify(events),
      JSON.stringify(active),
      String(active),
      JSON.stringify(session.current),
    ];
    for (const text of visible) expect(text).not.toMatch(/SessionToken|secret-|https?:/);
    expect(active.url).toContain('SessionToken=secret-1');
    expect([log, warn, error].map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
  });
});
