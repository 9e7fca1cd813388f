import {
  GetHLSStreamingSessionURLCommand,
  ListFragmentsCommand,
  type Fragment,
  type GetHLSStreamingSessionURLInput,
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

const HIGH_QUOTAS = {
  sessionUrlPerStream: 10_000,
  playlistsPerSession: 10_000,
  fragmentsPerSession: 10_000,
  getDataEndpointPerStream: 10_000,
  mediaApiPerStream: 10_000,
};

describe('KVS emulator HLS playlists', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  const session = async (input: Partial<GetHLSStreamingSessionURLInput>): Promise<string> => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door', ...input }),
    );
    return HLSStreamingSessionURL!;
  };
  const mediaPlaylist = async (masterUrl: string, trackNumber = 1) =>
    fetchText(await mediaPlaylistUrl(masterUrl, trackNumber));
  const onDemand = (
    startMs: number,
    endMs: number,
    extra: Partial<GetHLSStreamingSessionURLInput> = {},
  ): Partial<GetHLSStreamingSessionURLInput> => ({
    PlaybackMode: 'ON_DEMAND',
    HLSFragmentSelector: {
      FragmentSelectorType: 'SERVER_TIMESTAMP',
      TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) },
    },
    ...extra,
  });
  const listFragments = async (
    streamName: string,
    startMs: number,
    endMs: number,
    type = 'SERVER_TIMESTAMP',
  ) => {
    const { Fragments } = await media.send(
      new ListFragmentsCommand({
        StreamName: streamName,
        MaxResults: 1000,
        FragmentSelector: {
          FragmentSelectorType: type as 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) },
        },
      }),
    );
    return Fragments!;
  };
  const fragmentNumbersOf = (playlist: string) =>
    parseM3u8(playlist).segments.map((segment) =>
      new URL(segment.uri, 'http://x/').searchParams.get('FragmentNumber'),
    );

  beforeAll(async () => {
    harness = await startHarness({
      quotas: HIGH_QUOTAS,
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'retry-cam', retentionHours: 1, media: 'fixture-video-only', duplicateEvery: 3 },
      ],
    });
    media = await harness.media('front-door');
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('describes codecs, resolution, frame rate, bandwidth and the audio group in the master playlist', async () => {
    const master = parseM3u8(await fetchText(await session({})));

    const variant = master.playlists?.[0];
    expect(master.playlists).toHaveLength(1);
    expect(variant?.attributes.CODECS).toBe('avc1.4d401e,mp4a.40.2');
    expect(variant?.attributes.RESOLUTION).toEqual({ width: 480, height: 270 });
    expect(variant?.attributes['FRAME-RATE']).toBe(20);
    expect(variant?.attributes.BANDWIDTH).toBeGreaterThan(0);
    expect(variant?.attributes.AUDIO).toBe('audio');
    expect(master.mediaGroups?.AUDIO?.audio?.audio?.uri).toMatch(/TrackNumber=2/);
  });

  it('lists the newest 5 fragments in a LIVE media playlist with the fMP4 tags and no end', async () => {
    const text = await mediaPlaylist(await session({}));
    const playlist = parseM3u8(text);

    expect(playlist.version).toBe(7);
    expect(playlist.targetDuration).toBe(2);
    expect(playlist.independentSegments).toBe(true);
    expect(playlist.segments).toHaveLength(5);
    expect(playlist.segments[0]?.map?.uri).toMatch(/^getMP4InitFragment\.mp4\?/);
    expect(playlist.playlistType).toBeUndefined();
    expect(playlist.endList).toBeUndefined();
    expect(text).toMatch(/#EXT-X-MEDIA-SEQUENCE:\d+/);
    expect(text.match(/^#EXTINF:\d+\.\d{1,3},$/gm)).toHaveLength(5);
    const newest = playlist.segments[4]!;
    const listed = await listFragments('front-door', START_MS - MINUTE_MS, START_MS);
    expect(fragmentNumbersOf(text)[4]).toBe(listed[listed.length - 1]?.FragmentNumber);
    expect(newest.uri).toMatch(
      /^getMP4MediaFragment\.mp4\?FragmentNumber=\d{20,}&TrackNumber=1&SessionToken=/,
    );
  });

  it('serves a media playlist per track with the same fragments', async () => {
    const masterUrl = await session({});
    const video = await mediaPlaylist(masterUrl, 1);
    const audio = await mediaPlaylist(masterUrl, 2);

    expect(fragmentNumbersOf(audio)).toEqual(fragmentNumbersOf(video));
    expect(parseM3u8(audio).segments[0]?.uri).toMatch(/TrackNumber=2/);
  });

  it('grows a LIVE playlist as the injected clock advances', async () => {
    const masterUrl = await session({});
    const before = parseM3u8(await mediaPlaylist(masterUrl));

    harness.clock.advance(4_000);
    const after = parseM3u8(await mediaPlaylist(masterUrl));
    harness.clock.set(START_MS);

    expect(after.mediaSequence).toBe(before.mediaSequence! + 2);
    expect(after.segments).toHaveLength(5);
    expect(after.segments[2]?.uri.split('&')[0]).toBe(before.segments[4]?.uri.split('&')[0]);
  });

  it('numbers each session from 0 while fragment numbers stay those of the stream', async () => {
    const first = await session({});
    harness.clock.advance(4_000);
    const second = await session({});
    const firstPlaylist = await mediaPlaylist(first);
    const secondPlaylist = await mediaPlaylist(second);
    harness.clock.set(START_MS);

    expect(parseM3u8(secondPlaylist).mediaSequence).toBe(0);
    expect(parseM3u8(firstPlaylist).mediaSequence).toBe(2);
    expect(fragmentNumbersOf(secondPlaylist)).toEqual(fragmentNumbersOf(firstPlaylist));
  });

  it('honours MaxMediaPlaylistFragmentResults', async () => {
    const playlist = parseM3u8(await mediaPlaylist(await session({ MaxMediaPlaylistFragmentResults: 3 })));

    expect(playlist.segments).toHaveLength(3);
  });

  it('puts a discontinuity before every fragment by default with server timestamps', async () => {
    const playlist = parseM3u8(await mediaPlaylist(await session({})));

    expect(playlist.discontinuityStarts).toEqual([0, 1, 2, 3, 4]);
  });

  it('puts no discontinuity with DiscontinuityMode NEVER', async () => {
    const playlist = parseM3u8(await mediaPlaylist(await session({ DiscontinuityMode: 'NEVER' })));

    expect(playlist.discontinuityStarts).toEqual([]);
  });

  it('puts no discontinuity by default with producer timestamps', async () => {
    const playlist = parseM3u8(
      await mediaPlaylist(
        await session({ HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP' } }),
      ),
    );

    expect(playlist.discontinuityStarts).toEqual([]);
  });

  it('marks ON_DISCONTINUITY exactly where server timestamps jump by more than 50 ms', async () => {
    const startMs = START_MS - 10 * MINUTE_MS;
    const endMs = START_MS - 5 * MINUTE_MS;
    const listed = await listFragments('front-door', startMs, endMs);
    const expected = listed.flatMap((fragment, index) => {
      const previous: Fragment | undefined = listed[index - 1];
      if (!previous) return [];
      const gap =
        fragment.ServerTimestamp!.getTime() -
        (previous.ServerTimestamp!.getTime() + previous.FragmentLengthInMilliseconds!);
      return Math.abs(gap) > 50 ? [index] : [];
    });

    const text = await mediaPlaylist(
      await session(onDemand(startMs, endMs, { DiscontinuityMode: 'ON_DISCONTINUITY' })),
    );

    expect(expected.length).toBeGreaterThan(0);
    expect(fragmentNumbersOf(text)).toEqual(listed.map((fragment) => fragment.FragmentNumber));
    expect(parseM3u8(text).discontinuityStarts).toEqual(expected);
  });

  it('adds PROGRAM-DATE-TIME with millisecond server timestamps only with DisplayFragmentTimestamp ALWAYS', async () => {
    const startMs = START_MS - 3 * MINUTE_MS;
    const endMs = START_MS - 2 * MINUTE_MS;
    const listed = await listFragments('front-door', startMs, endMs);

    const shown = await mediaPlaylist(
      await session(onDemand(startMs, endMs, { DisplayFragmentTimestamp: 'ALWAYS' })),
    );
    const hidden = await mediaPlaylist(
      await session(onDemand(startMs, endMs, { DisplayFragmentTimestamp: 'NEVER' })),
    );

    expect(parseM3u8(shown).segments.map((segment) => segment.dateTimeString)).toEqual(
      listed.map((fragment) => fragment.ServerTimestamp!.toISOString()),
    );
    expect(shown).toMatch(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(hidden).not.toContain('#EXT-X-PROGRAM-DATE-TIME');
  });

  it('makes ON_DEMAND a VOD playlist with an end, listing the range with an inclusive end', async () => {
    const listed = await listFragments('front-door', START_MS - 10 * MINUTE_MS, START_MS - 9 * MINUTE_MS);
    const first = listed[2]!;
    const last = listed[7]!;

    const text = await mediaPlaylist(
      await session(onDemand(first.ServerTimestamp!.getTime(), last.ServerTimestamp!.getTime())),
    );
    const playlist = parseM3u8(text);

    expect(playlist.playlistType).toBe('VOD');
    expect(playlist.endList).toBe(true);
    expect(fragmentNumbersOf(text)).toEqual(listed.slice(2, 8).map((fragment) => fragment.FragmentNumber));
  });

  it('leaves out a fragment that starts before StartTimestamp', async () => {
    const listed = await listFragments('front-door', START_MS - 10 * MINUTE_MS, START_MS - 9 * MINUTE_MS);
    const first = listed[2]!;

    const text = await mediaPlaylist(
      await session(onDemand(first.ServerTimestamp!.getTime() + 1, listed[7]!.ServerTimestamp!.getTime())),
    );

    expect(fragmentNumbersOf(text)).toEqual(listed.slice(3, 8).map((fragment) => fragment.FragmentNumber));
  });

  it('lists at most 1000 fragments by default in ON_DEMAND, the oldest of the range', async () => {
    const startMs = START_MS - 3 * 60 * MINUTE_MS;
    const text = await mediaPlaylist(await session(onDemand(startMs, START_MS - MINUTE_MS)));
    const listed = await listFragments('front-door', startMs, startMs + MINUTE_MS);

    expect(parseM3u8(text).segments).toHaveLength(1000);
    expect(fragmentNumbersOf(text)[0]).toBe(listed[0]?.FragmentNumber);
  });

  it('starts LIVE_REPLAY at StartTimestamp and adds one fragment per fragment duration of real time', async () => {
    const startMs = START_MS - 30 * MINUTE_MS;
    const listed = await listFragments('front-door', startMs, startMs + MINUTE_MS);
    const masterUrl = await session({
      PlaybackMode: 'LIVE_REPLAY',
      HLSFragmentSelector: {
        FragmentSelectorType: 'SERVER_TIMESTAMP',
        TimestampRange: { StartTimestamp: at(startMs) },
      },
    });

    const initial = await mediaPlaylist(masterUrl);
    harness.clock.advance(2_000);
    const oneLater = await mediaPlaylist(masterUrl);
    harness.clock.advance(8_000);
    const fiveLater = await mediaPlaylist(masterUrl);
    harness.clock.set(START_MS);

    const numbers = listed.map((fragment) => fragment.FragmentNumber);
    expect(fragmentNumbersOf(initial)).toEqual(numbers.slice(0, 5));
    expect(fragmentNumbersOf(oneLater)).toEqual(numbers.slice(1, 6));
    expect(fragmentNumbersOf(fiveLater)).toEqual(numbers.slice(5, 10));
    expect(parseM3u8(fiveLater).endList).toBeUndefined();
  });

  it('serves MPEG-TS playlists without EXT-X-MAP and with audio muxed into the video rendition', async () => {
    const masterUrl = await session({ ContainerFormat: 'MPEG_TS' });
    const master = parseM3u8(await fetchText(masterUrl));
    const playlist = parseM3u8(await mediaPlaylist(masterUrl));

    expect(master.playlists?.[0]?.attributes.CODECS).toBe('avc1.4d401e,mp4a.40.2');
    expect(master.mediaGroups?.AUDIO?.audio).toBeUndefined();
    expect(playlist.segments[0]?.map).toBeUndefined();
    expect(
      playlist.segments.every((segment) => segment.uri.startsWith('getTSFragment.ts?FragmentNumber=')),
    ).toBe(true);
  });

  it('keeps the retry (largest fragment number) of fragments sharing a producer timestamp', async () => {
    const retryMedia = await harness.media('retry-cam');
    const startMs = START_MS - 10 * MINUTE_MS;
    const endMs = START_MS - 9 * MINUTE_MS;
    const { Fragments } = await retryMedia.send(
      new ListFragmentsCommand({
        StreamName: 'retry-cam',
        FragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) },
        },
      }),
    );
    const byProducerTime = new Map<number, string>();
    for (const fragment of Fragments!) {
      const key = fragment.ProducerTimestamp!.getTime();
      const current = byProducerTime.get(key);
      if (current === undefined || BigInt(fragment.FragmentNumber!) > BigInt(current)) {
        byProducerTime.set(key, fragment.FragmentNumber!);
      }
    }
    const { HLSStreamingSessionURL } = await retryMedia.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'retry-cam',
        PlaybackMode: 'ON_DEMAND',
        HLSFragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) },
        },
      }),
    );

    const text = await mediaPlaylist(HLSStreamingSessionURL!);

    expect(Fragments!.length).toBeGreaterThan(byProducerTime.size);
    expect(fragmentNumbersOf(text)).toEqual([...byProducerTime.values()]);
  });
});
