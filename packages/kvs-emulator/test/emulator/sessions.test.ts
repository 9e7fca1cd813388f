import { DeleteStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import {
  at,
  fetchText,
  HOUR_MS,
  mediaPlaylistUrl,
  parseM3u8,
  startHarness,
  START_MS,
  type Harness,
} from './support/emulator-harness';

describe('KVS emulator playback sessions', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  const hlsSession = async (expires = 300): Promise<string> => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door', Expires: expires }),
    );
    return HLSStreamingSessionURL!;
  };
  const withToken = (url: string, change: (token: string) => string): string => {
    const parsed = new URL(url);
    parsed.searchParams.set('SessionToken', change(parsed.searchParams.get('SessionToken')!));
    return parsed.toString();
  };

  beforeAll(async () => {
    harness = await startHarness({ quotas: { playlistsPerSession: 1000, fragmentsPerSession: 1000 } });
    media = await harness.media('front-door');
  });

  afterEach(() => {
    harness.clock.set(START_MS);
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('issues URL-safe tokens', async () => {
    const token = new URL(await hlsSession()).searchParams.get('SessionToken')!;

    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('plays until Expires and answers 403 on every playback GET afterwards', async () => {
    const masterUrl = await hlsSession(300);
    const playlistUrl = await mediaPlaylistUrl(masterUrl);
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const initUrl = new URL(playlist.segments[0]!.map!.uri, playlistUrl);
    const fragmentUrl = new URL(playlist.segments[0]!.uri, playlistUrl);

    harness.clock.advance(299_000);
    const beforeExpiry = await Promise.all(
      [masterUrl, playlistUrl, initUrl, fragmentUrl].map((url) => fetch(url)),
    );
    harness.clock.advance(1_000);
    const afterExpiry = await Promise.all(
      [masterUrl, playlistUrl, initUrl, fragmentUrl].map((url) => fetch(url)),
    );

    expect(beforeExpiry.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(afterExpiry.map((response) => response.status)).toEqual([403, 403, 403, 403]);
  });

  it('ends sessions after Expires × sessionLifetimeScale when the local stack asks for short sessions', async () => {
    const short = await startHarness({ sessionLifetimeScale: 0.05 });
    try {
      const shortMedia = await short.media('front-door');
      const { HLSStreamingSessionURL } = await shortMedia.send(
        new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door', Expires: 300 }),
      );

      short.clock.advance(14_999);
      const before = await fetch(HLSStreamingSessionURL!);
      short.clock.advance(1);
      const after = await fetch(HLSStreamingSessionURL!);

      expect([before.status, after.status]).toEqual([200, 403]);
    } finally {
      await short.stop();
    }
    await expect(startHarness({ sessionLifetimeScale: 2 })).rejects.toThrow(/sessionLifetimeScale/);
  });

  it('answers 403 to a token whose session part was altered', async () => {
    const masterUrl = await hlsSession();
    const tampered = withToken(masterUrl, (token) => {
      const [payload, mac] = token.split('.');
      const session = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      session.expiresMs = Number(session.expiresMs) + 86_400_000;
      return `${Buffer.from(JSON.stringify(session)).toString('base64url')}.${mac}`;
    });

    const response = await fetch(tampered);

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('NotAuthorizedException');
  });

  it('answers 403 to a token with a forged signature', async () => {
    const forged = withToken(await hlsSession(), (token) => `${token.split('.')[0]!}.${'A'.repeat(43)}`);

    expect((await fetch(forged)).status).toBe(403);
  });

  it('answers 403 to an HLS token on a DASH path', async () => {
    const masterUrl = new URL(await hlsSession());
    const dashUrl = masterUrl
      .toString()
      .replace('/hls/v1/getHLSMasterPlaylist.m3u8', '/dash/v1/getDASHManifest.mpd');

    expect((await fetch(dashUrl)).status).toBe(403);
  });

  it('sends CORS headers on playback GETs, their errors and preflights', async () => {
    const masterUrl = await hlsSession();

    const ok = await fetch(masterUrl, { headers: { origin: 'http://localhost:3000' } });
    const denied = await fetch(withToken(masterUrl, () => 'forged'));
    const preflight = await fetch(masterUrl, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' },
    });

    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('lets cross-origin players read Date (on the emulator clock) from playback GETs', async () => {
    const masterUrl = await hlsSession();
    harness.clock.advance(4321);

    const ok = await fetch(masterUrl, { headers: { origin: 'http://localhost:3000' } });
    const exposed = (ok.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase());

    expect(ok.status).toBe(200);
    expect(exposed).toEqual(expect.arrayContaining(['date', 'content-length']));
    expect(ok.headers.get('date')).toBe(new Date(harness.clock.now()).toUTCString());
  });

  it('answers 404 for a session of a stream that was deleted since', async () => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'garage',
        PlaybackMode: 'ON_DEMAND',
        HLSFragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: {
            StartTimestamp: at(START_MS - 2 * HOUR_MS),
            EndTimestamp: at(START_MS - 2 * HOUR_MS + 60_000),
          },
        },
      }),
    );
    const before = await fetch(HLSStreamingSessionURL!);
    const { StreamInfo } = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'garage' }));
    await harness.kvs.send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN }));

    const after = await fetch(HLSStreamingSessionURL!);

    expect(before.status).toBe(200);
    expect(after.status).toBe(404);
    expect(after.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  });
});
