import { ActiveSession } from '../../packages/client/src/playback-session';
import { DashNumberMap, HlsSequenceMap, SessionRouter } from '../../packages/client/src/session-routing';

const session = (generation: number, url: string): ActiveSession =>
  new ActiveSession(
    {
      url,
      protocol: 'HLS',
      stream: 's',
      playbackMode: 'LIVE',
      expiresAt: '2026-11-25T12:05:00Z',
      expiresInSeconds: 300,
      maxFragments: 5,
    },
    generation,
    0,
  );

describe('SessionRouter', () => {
  const first = session(1, 'https://b-1.kvs.example/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=AAA~1');
  const second = session(
    2,
    'https://b-2.kvs.example/prefix/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=BBB~2',
  );

  it('moves a request of any session to the target: its data endpoint and token, the rest unchanged', () => {
    const router = new SessionRouter();
    router.add(first);
    router.add(second);
    router.switchTo(2);

    const routed = router.route(
      'https://b-1.kvs.example/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=9134385&SessionToken=AAA~1&TrackNumber=1',
    );

    expect(routed).toBe(
      'https://b-2.kvs.example/prefix/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=9134385&SessionToken=BBB~2&TrackNumber=1',
    );
    expect(router.generationOf(routed)).toBe(2);
    expect(router.generationOf('https://b-1.kvs.example/hls/v1/x?SessionToken=AAA~1')).toBe(1);
  });

  it('leaves URLs without a session token alone, and never moves back to an older session', () => {
    const router = new SessionRouter();
    router.add(first);
    router.add(second);
    router.switchTo(2);
    router.switchTo(1);

    expect(router.route('https://clock.example/utc-time')).toBe('https://clock.example/utc-time');
    expect(router.targetGeneration).toBe(2);
  });
});

const hlsPlaylist = (sequence: number, fragments: string[], token: string): string =>
  [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    `#EXT-X-MEDIA-SEQUENCE:${sequence}`,
    `#EXT-X-MAP:URI="getMP4InitFragment.mp4?SessionToken=${token}&TrackNumber=1"`,
    ...fragments.flatMap((fragment) => [
      '#EXTINF:2.000,',
      `getMP4MediaFragment.mp4?FragmentNumber=${fragment}&SessionToken=${token}&TrackNumber=1`,
    ]),
    '',
  ].join('\n');

const sequenceOf = (playlist: string): number => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1]);

describe('HlsSequenceMap', () => {
  const fragments = ['91343850000000001', '91343850000000002', '91343850000000003', '91343850000000004'];

  it('renumbers a new session that starts counting at 0 into the sequence the player follows', () => {
    const map = new HlsSequenceMap();
    const old = map.rewrite(hlsPlaylist(150, fragments.slice(0, 3), 'A'), '1', 1);

    const renewed = map.rewrite(hlsPlaylist(0, fragments.slice(1, 4), 'B'), '1', 2);
    const later = map.rewrite(
      hlsPlaylist(1, [fragments[2]!, fragments[3]!, '91343850000000005'], 'B'),
      '1',
      2,
    );

    expect(old).toBe(hlsPlaylist(150, fragments.slice(0, 3), 'A'));
    expect(sequenceOf(renewed)).toBe(151);
    expect(sequenceOf(later)).toBe(152);
    expect(renewed.replace(/#EXT-X-MEDIA-SEQUENCE:\d+/, '')).toBe(
      hlsPlaylist(0, fragments.slice(1, 4), 'B').replace(/#EXT-X-MEDIA-SEQUENCE:\d+/, ''),
    );
  });

  it('passes a new session that numbers as the old one did (one numbering per stream) unchanged', () => {
    const map = new HlsSequenceMap();
    map.rewrite(hlsPlaylist(150, fragments.slice(0, 3), 'A'), '1', 1);

    const renewed = hlsPlaylist(151, fragments.slice(1, 4), 'B');

    expect(map.rewrite(renewed, '1', 2)).toBe(renewed);
  });

  it('continues after the last known fragment when the new session shares none with the old playlist', () => {
    const map = new HlsSequenceMap();
    map.rewrite(hlsPlaylist(40, fragments.slice(0, 2), 'A'), '1', 1);

    const renewed = map.rewrite(hlsPlaylist(0, ['91343850000000010', '91343850000000011'], 'B'), '1', 2);

    expect(sequenceOf(renewed)).toBe(42);
  });

  it('keeps tracks apart and leaves master playlists alone', () => {
    const map = new HlsSequenceMap();
    map.rewrite(hlsPlaylist(10, fragments.slice(0, 2), 'A'), '1', 1);
    map.rewrite(hlsPlaylist(20, fragments.slice(0, 2), 'A'), '2', 1);
    const master =
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ngetHLSMediaPlaylist.m3u8?SessionToken=B&TrackNumber=1\n';

    expect(sequenceOf(map.rewrite(hlsPlaylist(0, fragments.slice(1, 3), 'B'), '1', 2))).toBe(11);
    expect(sequenceOf(map.rewrite(hlsPlaylist(0, fragments.slice(1, 3), 'B'), '2', 2))).toBe(21);
    expect(map.rewrite(master, '1', 2)).toBe(master);
  });
});

const mpd = (startNumber: number, segments: { t: number; fn?: string }[], token: string): string =>
  [
    '<MPD type="dynamic">',
    '  <Period id="0" start="PT0S">',
    ...[1, 2].map((track) =>
      [
        `    <AdaptationSet id="${track}">`,
        `      <SegmentTemplate timescale="1000" startNumber="${startNumber}" media="getMP4MediaFragment.mp4?TrackNumber=${track}&amp;SequenceNumber=$Number$&amp;SessionToken=${token}">`,
        '        <SegmentTimeline>',
        ...segments.map(({ t, fn }) => `          <S t="${t}" d="2000"${fn ? ` kvs:fn="${fn}"` : ''}/>`),
        '        </SegmentTimeline>',
        '      </SegmentTemplate>',
        '    </AdaptationSet>',
      ].join('\n'),
    ),
    '  </Period>',
    '</MPD>',
  ].join('\n');

const startNumbers = (manifest: string): number[] =>
  [...manifest.matchAll(/startNumber="(\d+)"/g)].map((match) => Number(match[1]));

describe('DashNumberMap', () => {
  it('renumbers a new session by media time and translates segment numbers back for it', () => {
    const map = new DashNumberMap();
    map.rewrite(mpd(300, [{ t: 600_000 }, { t: 602_000 }, { t: 604_000 }], 'A'), 1);

    const renewed = map.rewrite(mpd(0, [{ t: 602_000 }, { t: 604_000 }, { t: 606_000 }], 'B'), 2);

    expect(startNumbers(renewed)).toEqual([301, 301]);
    expect(map.translate('getMP4MediaFragment.mp4?TrackNumber=1&SequenceNumber=303&SessionToken=B', 2)).toBe(
      'getMP4MediaFragment.mp4?TrackNumber=1&SequenceNumber=2&SessionToken=B',
    );
    expect(map.translate('getMP4MediaFragment.mp4?TrackNumber=1&SequenceNumber=303&SessionToken=A', 1)).toBe(
      'getMP4MediaFragment.mp4?TrackNumber=1&SequenceNumber=303&SessionToken=A',
    );
    expect(map.hasOffset(2)).toBe(true);
  });

  it('matches by kvs:fn when the manifest shows fragment numbers, and reports a media-time shift', () => {
    const map = new DashNumberMap();
    map.rewrite(
      mpd(
        7,
        [
          { t: 10_000, fn: '9001' },
          { t: 12_000, fn: '9002' },
        ],
        'A',
      ),
      1,
    );

    const renewed = map.rewrite(
      mpd(
        0,
        [
          { t: 0, fn: '9002' },
          { t: 2_000, fn: '9003' },
        ],
        'B',
      ),
      2,
    );

    expect(startNumbers(renewed)).toEqual([8, 8]);
    expect(map.timelineShifts).toEqual([12_000]);
  });

  it('leaves the first session and a session numbered like the player unchanged', () => {
    const map = new DashNumberMap();
    const first = mpd(300, [{ t: 600_000 }, { t: 602_000 }], 'A');
    const same = mpd(301, [{ t: 602_000 }, { t: 604_000 }], 'B');

    expect(map.rewrite(first, 1)).toBe(first);
    expect(map.rewrite(same, 2)).toBe(same);
  });
});
