import {
  GetHLSStreamingSessionURLCommand,
  ListFragmentsCommand,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import {
  at,
  fetchText,
  mediaPlaylistUrl,
  MINUTE_MS,
  parseM3u8,
  startHarness,
  START_MS,
  type Harness,
} from './support/emulator-harness';

/**
 * What a session token opens. KVS documents what a playlist lists (LIVE: the newest fragments, up to
 * MaxMediaPlaylistFragmentResults; ON_DEMAND and LIVE_REPLAY: the requested range), not whether a
 * fragment URL is checked against that listing. The emulator is lenient: a session's token fetches any
 * fragment of its stream still within the retention, listed or not. These tests pin that, so that the
 * product's security model (README, "What a playback URL reaches") rests on the stream's retention as the
 * hard bound and on the LIVE cap and archive windows only as bounds of what listings show.
 */
describe('KVS emulator fragment access by a session token', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  beforeAll(async () => {
    harness = await startHarness({
      quotas: { fragmentsPerSession: 10_000, playlistsPerSession: 10_000 },
      streams: [{ name: 'front-door', retentionHours: 1, media: 'fixture' }],
    });
    media = await harness.media('front-door');
  });

  afterAll(async () => {
    harness.clock.set(START_MS);
    await harness.stop();
  });

  it('serves a fragment the LIVE playlist does not list while it is within retention, and none beyond it', async () => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'front-door',
        PlaybackMode: 'LIVE',
        MaxMediaPlaylistFragmentResults: 3,
        Expires: 12 * 3600,
      }),
    );
    const playlistUrl = await mediaPlaylistUrl(HLSStreamingSessionURL!);
    const segments = parseM3u8(await fetchText(playlistUrl)).segments;
    const listed = segments.map((segment) =>
      new URL(segment.uri, playlistUrl).searchParams.get('FragmentNumber'),
    );
    expect(segments).toHaveLength(3);

    const { Fragments } = await media.send(
      new ListFragmentsCommand({
        StreamName: 'front-door',
        MaxResults: 5,
        FragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: {
            StartTimestamp: at(START_MS - 50 * MINUTE_MS),
            EndTimestamp: at(START_MS - 49 * MINUTE_MS),
          },
        },
      }),
    );
    const old = Fragments![0]!.FragmentNumber!;
    expect(listed).not.toContain(old);

    // The newest segment's URL, pointed at a fragment 50 minutes old.
    const segmentUrl = new URL(segments[segments.length - 1]!.uri, playlistUrl);
    segmentUrl.searchParams.set('FragmentNumber', old);
    const unlisted = await fetch(segmentUrl);
    const unlistedBytes = (await unlisted.arrayBuffer()).byteLength;

    // Eleven minutes later the fragment is 61 minutes old: past the stream's one-hour retention.
    harness.clock.advance(11 * MINUTE_MS);
    const expired = await fetch(segmentUrl);
    const expiredBody = await expired.text();
    harness.clock.set(START_MS);

    expect([unlisted.status, unlistedBytes > 0]).toEqual([200, true]);
    expect(expired.status).toBe(404);
    expect(JSON.parse(expiredBody)).toEqual({
      Message: 'The requested fragment is not found in the stream.',
    });
  });
});
