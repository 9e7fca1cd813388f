import { createManualClock, type ManualClock } from '@kvs-url-vending/kvs-emulator';
import { fetchText, mediaPlaylistUrl, mediaSegments } from '../support/hls-playlists';
import { startLeakGuard, type LeakGuard } from '../support/leak-guard';
import {
  RETRY_BUDGET_MS,
  startApiHarness,
  TEST_AWS_CREDENTIALS,
  type ApiHarness,
  type HttpAnswer,
} from './support/api-harness';
import { generateIssuerKey, JwksIssuer } from './support/jwks-issuer';

/**
 * The grant holes of a LIVE request reaching hours back, a session outliving its grant's notAfter, and
 * producer timestamps stretching an archive window, tried as an attacker would: over HTTP through the
 * real handler and KVS adapter, against the KVS emulator, looking at what the vended URL really serves.
 */
const FRAGMENT_SECONDS = 2;
const LIVE_MAX_FRAGMENTS = 10;
const NOT_AFTER_IN_MS = 600_000;

describe('grants mean exactly what they say, over HTTP against the KVS emulator', () => {
  const issuer = new JwksIssuer();
  const key = generateIssuerKey('ES256', 'grant-limits-key');
  let clock: ManualClock;
  let notAfter: number;
  let api: ApiHarness;
  let guard: LeakGuard;

  const front = { streams: ['front-door'], protocols: ['HLS', 'DASH'] };
  beforeAll(async () => {
    await issuer.start();
    issuer.published = [key];
    clock = createManualClock(Date.now());
    notAfter = Date.now() + NOT_AFTER_IN_MS;
    guard = startLeakGuard();
    guard.secret(TEST_AWS_CREDENTIALS.secretAccessKey, 'AWS secret key');
    guard.secret(TEST_AWS_CREDENTIALS.accessKeyId, 'AWS access key id');
    api = await startApiHarness({
      verifier: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.url },
      emulator: { clock: clock.now },
      grants: [
        // The demo partner's grant: front-door LIVE only, at most 300 s.
        { principal: 'user:live-only', ...front, playbackModes: ['LIVE'], maxExpiresInSeconds: 300 },
        {
          principal: 'user:windowed',
          ...front,
          playbackModes: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'],
          maxExpiresInSeconds: 900,
          archiveWindowSeconds: 600,
        },
        {
          principal: 'user:producer-clock',
          ...front,
          playbackModes: ['LIVE_REPLAY', 'ON_DEMAND'],
          maxExpiresInSeconds: 900,
          archiveWindowSeconds: 600,
          producerTimestamps: true,
        },
        {
          principal: 'user:ending',
          ...front,
          playbackModes: ['LIVE'],
          maxExpiresInSeconds: 43_200,
          notAfter: new Date(notAfter).toISOString(),
        },
      ],
      guard,
    });
  });
  afterAll(async () => {
    guard.stop();
    await api?.stop();
    await issuer.stop();
  });
  afterEach(() => {
    guard.assertNoLeaks();
  });

  const vend = (sub: string, body: Record<string, unknown>): Promise<HttpAnswer> =>
    api.call('/v1/streams/front-door/playback-url', { token: issuer.sign(key, { sub }), body });
  const urlOf = (answer: HttpAnswer): string => {
    expect(answer.status).toBe(200);
    return (answer.json as { url: string }).url;
  };
  const sessionUrlCalls = (): number => {
    const counters = api.emulator.counters();
    return (counters.GetHLSStreamingSessionURL ?? 0) + (counters.GetDASHStreamingSessionURL ?? 0);
  };

  describe('a LIVE session reaches back no further than the live edge', () => {
    it.each(['live-only', 'windowed'])(
      'serves %s an HLS LIVE playlist of at most the configured fragments when 5000 are asked for',
      async (sub) => {
        const answer = await vend(sub, { protocol: 'HLS', maxFragments: 5000 });

        const segments = mediaSegments(await fetchText(await mediaPlaylistUrl(urlOf(answer))));

        expect(segments.length).toBeGreaterThan(0);
        expect(segments.length).toBeLessThanOrEqual(LIVE_MAX_FRAGMENTS);
        const spanSeconds = segments.reduce((sum, segment) => sum + segment.duration, 0);
        expect(spanSeconds).toBeLessThanOrEqual(LIVE_MAX_FRAGMENTS * FRAGMENT_SECONDS + 1);
        expect(answer.json).toMatchObject({ playbackMode: 'LIVE', maxFragments: LIVE_MAX_FRAGMENTS });
      },
    );

    it.each(['live-only', 'windowed'])(
      'serves %s a DASH LIVE manifest whose time-shift buffer holds at most the configured fragments',
      async (sub) => {
        const answer = await vend(sub, { protocol: 'DASH', maxFragments: 5000 });

        const manifest = await fetchText(urlOf(answer));

        const depth = /timeShiftBufferDepth="PT([\d.]+)S"/.exec(manifest);
        expect(depth).not.toBeNull();
        expect(Number(depth![1])).toBeLessThanOrEqual(LIVE_MAX_FRAGMENTS * FRAGMENT_SECONDS + 1);
        const timeline = /<SegmentTimeline>([\s\S]*?)<\/SegmentTimeline>/.exec(manifest)?.[1] ?? '';
        const entries = timeline.match(/<S /g) ?? [];
        expect(entries.length).toBeGreaterThan(0);
        expect(entries.length).toBeLessThanOrEqual(LIVE_MAX_FRAGMENTS);
        expect(answer.json).toMatchObject({ playbackMode: 'LIVE', maxFragments: LIVE_MAX_FRAGMENTS });
      },
    );
  });

  describe('producer timestamps cannot stretch an archive window', () => {
    const replay = (timestampSource: string) => ({
      playbackMode: 'LIVE_REPLAY',
      timestampSource,
      start: new Date(Date.now() - 300_000).toISOString(),
    });

    it('refuses archived playback with producer timestamps under a windowed grant, before KVS', async () => {
      const before = sessionUrlCalls();

      const answer = await vend('windowed', replay('PRODUCER'));

      expect(answer.status).toBe(403);
      expect((answer.json as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect(sessionUrlCalls()).toBe(before);
    });

    it('vends it under a grant that opts in, and keeps server timestamps and LIVE allowed', async () => {
      const optedIn = await vend('producer-clock', replay('PRODUCER'));
      const server = await vend('windowed', replay('SERVER'));
      const live = await vend('windowed', { timestampSource: 'PRODUCER' });

      expect([optedIn.status, server.status, live.status]).toEqual([200, 200, 200]);
    });
  });

  describe('notAfter ends the session', () => {
    it('vends a session that stops playing at the grant notAfter, KVS retry budget included', async () => {
      const answer = await vend('ending', { protocol: 'HLS', expiresInSeconds: 43_200 });
      const url = urlOf(answer);
      const body = answer.json as { expiresInSeconds: number; expiresAt: string };
      const playing = await fetch(url);
      const emulatorNow = clock.now();

      clock.set(notAfter);
      const atNotAfter = await fetch(url);
      clock.set(emulatorNow);

      expect(body.expiresInSeconds).toBeLessThanOrEqual(
        Math.floor((NOT_AFTER_IN_MS - RETRY_BUDGET_MS) / 1000),
      );
      expect(body.expiresInSeconds).toBeGreaterThan(500);
      expect(Date.parse(body.expiresAt) + RETRY_BUDGET_MS).toBeLessThanOrEqual(notAfter);
      expect(playing.status).toBe(200);
      expect(atNotAfter.status).toBe(403);
    });

    it('lists the stream with no more than the grant can still give', async () => {
      const answer = await api.call('/v1/streams', { token: issuer.sign(key, { sub: 'ending' }) });

      const [entry] = (answer.json as { streams: { maxExpiresInSeconds: number; notAfter: string }[] })
        .streams;
      expect(entry!.maxExpiresInSeconds).toBeLessThanOrEqual(NOT_AFTER_IN_MS / 1000);
      expect(Date.parse(entry!.notAfter)).toBe(notAfter);
    });
  });
});
