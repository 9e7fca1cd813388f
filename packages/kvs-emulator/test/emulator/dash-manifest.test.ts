import {
  GetDASHStreamingSessionURLCommand,
  ListFragmentsCommand,
  type GetDASHStreamingSessionURLInput,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { parse, parseUTCTiming } from 'mpd-parser';
import {
  at,
  fetchBytes,
  fetchText,
  MINUTE_MS,
  startHarness,
  START_MS,
  type Harness,
} from './support/emulator-harness';
import { loadFixtureClip } from '../../src/media';
import { parseMp4 } from './support/mp4';

declare module 'mpd-parser' {
  /** The first UTCTiming element of an MPD, with the request method its scheme implies. */
  export function parseUTCTiming(
    manifest: string,
  ): { schemeIdUri: string; value: string; method: 'GET' | 'HEAD' | 'DIRECT' } | null;
}

const RANGE_START_MS = START_MS - 20 * MINUTE_MS;
const RANGE_END_MS = START_MS - 19 * MINUTE_MS;

describe('KVS emulator DASH manifests', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  const session = async (input: Partial<GetDASHStreamingSessionURLInput>): Promise<string> => {
    const { DASHStreamingSessionURL } = await media.send(
      new GetDASHStreamingSessionURLCommand({ StreamName: 'front-door', ...input }),
    );
    return DASHStreamingSessionURL!;
  };
  const onDemand = (
    extra: Partial<GetDASHStreamingSessionURLInput> = {},
  ): Partial<GetDASHStreamingSessionURLInput> => ({
    PlaybackMode: 'ON_DEMAND',
    DASHFragmentSelector: {
      FragmentSelectorType: 'SERVER_TIMESTAMP',
      TimestampRange: { StartTimestamp: at(RANGE_START_MS), EndTimestamp: at(RANGE_END_MS) },
    },
    ...extra,
  });

  beforeAll(async () => {
    harness = await startHarness({ quotas: { playlistsPerSession: 1000, fragmentsPerSession: 1000 } });
    media = await harness.media('front-door', 'GET_DASH_STREAMING_SESSION_URL');
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('answers ON_DEMAND with a static MPD listing the range as a numbered SegmentTimeline', async () => {
    const { Fragments } = await media.send(
      new ListFragmentsCommand({
        StreamName: 'front-door',
        FragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(RANGE_START_MS), EndTimestamp: at(RANGE_END_MS) },
        },
      }),
    );
    const url = await session(onDemand());
    const text = await fetchText(url);

    const manifest = parse(text, { manifestUri: url });
    const video = manifest.playlists[0]!;
    const audio = Object.values(manifest.mediaGroups.AUDIO ?? {})[0];

    expect(text).toContain('type="static"');
    expect(text).toMatch(/<SegmentTemplate [^>]*media="[^"]*\$Number\$/);
    expect(video.attributes.CODECS).toBe('avc1.4d401e');
    expect(video.attributes.RESOLUTION).toEqual({ width: 480, height: 270 });
    expect(video.segments).toHaveLength(Fragments!.length);
    expect(video.segments.every((segment) => segment.duration === 2)).toBe(true);
    const numbers = video.segments.map((segment) => segment.number);
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0]! + index));
    expect(audio && Object.values(audio)[0]?.playlists[0]?.attributes.CODECS).toBe('mp4a.40.2');
  });

  it('serves the init and media segments its template addresses', async () => {
    const url = await session(onDemand());
    const video = parse(await fetchText(url), { manifestUri: url }).playlists[0]!;

    const init = await fetchBytes(video.segments[0]!.map!.resolvedUri);
    const first = await fetchBytes(video.segments[0]!.resolvedUri);
    const second = await fetchBytes(video.segments[1]!.resolvedUri);
    const { file, errors } = parseMp4(init, first, second);
    const decodeTimes = file.moofs.map((moof) => Number(moof.trafs[0]!.tfdt.baseMediaDecodeTime));

    expect(errors).toEqual([]);
    expect(decodeTimes).toHaveLength(2);
    expect(decodeTimes[1]! - decodeTimes[0]!).toBe(2 * loadFixtureClip().tracks[0]!.timescale);
  });

  it('numbers segments per session, as KVS documents ("their sequence number in the session")', async () => {
    const firstUrl = await session({ DisplayFragmentNumber: 'ALWAYS' });
    harness.clock.advance(4_000);
    const secondUrl = await session({ DisplayFragmentNumber: 'ALWAYS' });
    const first = await fetchText(firstUrl);
    const second = await fetchText(secondUrl);
    harness.clock.set(START_MS);

    const startNumber = (text: string) => Number(/startNumber="(\d+)"/.exec(text)?.[1]);
    const fragmentNumbers = (text: string) =>
      [...text.split('</AdaptationSet>')[0]!.matchAll(/kvs:fn="(\d+)"/g)].map((match) => match[1]);
    // The same fragments in both sessions; the older session numbers them from its own first fragment.
    expect(fragmentNumbers(first)).toEqual(fragmentNumbers(second));
    expect(startNumber(second)).toBe(0);
    expect(startNumber(first)).toBe(2);
    const numberedUrl = (text: string, url: string, number: number) =>
      new URL(
        /media="([^"]+)"/.exec(text)![1]!.replace(/&amp;/g, '&').replace('$Number$', String(number)),
        url,
      ).toString();
    const fromFirst = await fetchBytes(numberedUrl(first, firstUrl, 2));
    const fromSecond = await fetchBytes(numberedUrl(second, secondUrl, 0));
    expect(Buffer.from(fromSecond).equals(Buffer.from(fromFirst))).toBe(true);
  });

  it('answers LIVE with a dynamic MPD of the newest 5 fragments', async () => {
    const text = await fetchText(await session({}));

    expect(text).toContain('type="dynamic"');
    expect(text).toMatch(/minimumUpdatePeriod="PT\d/);
    expect(text.match(/<S /g)?.length).toBe(2 * 5);
  });

  it('names a clock endpoint in dynamic MPDs that tells the emulator time, readable cross-origin', async () => {
    const dynamicMpd = await fetchText(await session({}));
    const staticMpd = await fetchText(await session(onDemand()));
    harness.clock.advance(1234);

    const timing = parseUTCTiming(dynamicMpd);
    const iso = await fetch(timing!.value, { headers: { origin: 'http://localhost:3000' } });
    const head = await fetch(timing!.value, { method: 'HEAD' });
    const schemes = [...dynamicMpd.matchAll(/<UTCTiming schemeIdUri="([^"]+)" value="([^"]+)"/g)];

    expect(timing).toMatchObject({ schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', method: 'GET' });
    expect(schemes.map((match) => match[1])).toEqual([
      'urn:mpeg:dash:utc:http-iso:2014',
      'urn:mpeg:dash:utc:http-head:2014',
    ]);
    expect(new URL(timing!.value).origin).toBe(harness.emulator.endpoint);
    expect(dynamicMpd.indexOf('<UTCTiming')).toBeGreaterThan(dynamicMpd.indexOf('</Period>'));
    expect(parseUTCTiming(staticMpd)).toBeNull();
    expect(iso.status).toBe(200);
    expect(await iso.text()).toBe(new Date(harness.clock.now()).toISOString());
    expect(iso.headers.get('access-control-allow-origin')).toBe('*');
    expect(iso.headers.get('access-control-expose-headers')).toMatch(/\bDate\b/);
    expect(head.status).toBe(200);
    expect(head.headers.get('date')).toBe(new Date(harness.clock.now()).toUTCString());
  });

  it('adds kvs:fn and kvs:ts to segments when asked', async () => {
    const { Fragments } = await media.send(
      new ListFragmentsCommand({
        StreamName: 'front-door',
        FragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(RANGE_START_MS), EndTimestamp: at(RANGE_END_MS) },
        },
      }),
    );
    const shown = await fetchText(
      await session(onDemand({ DisplayFragmentNumber: 'ALWAYS', DisplayFragmentTimestamp: 'ALWAYS' })),
    );
    const hidden = await fetchText(await session(onDemand()));

    const videoSet = shown.split('</AdaptationSet>')[0]!;
    const numbers = [...videoSet.matchAll(/kvs:fn="(\d+)"/g)].map((match) => match[1]);
    const timestamps = [...videoSet.matchAll(/kvs:ts="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(numbers).toEqual(Fragments!.map((fragment) => fragment.FragmentNumber));
    expect(timestamps).toEqual(Fragments!.map((fragment) => fragment.ServerTimestamp!.getTime() / 1000));
    expect(hidden).not.toContain('kvs:');
  });
});
