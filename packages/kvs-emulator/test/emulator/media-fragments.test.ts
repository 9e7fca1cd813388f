import { DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetHLSStreamingSessionURLCommand,
  type GetHLSStreamingSessionURLInput,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  at,
  fetchBytes,
  fetchText,
  mediaPlaylistUrl,
  MINUTE_MS,
  parseM3u8,
  startHarness,
  START_MS,
  type Harness,
} from './support/emulator-harness';
import { loadFixtureClip } from '../../src/media';
import { readProgramStreams, readPesTimestamps } from '../../src/media/mpeg-ts-reader';
import { checkTsPackets, decodeTimesByPid, fragmentTiming } from '../media/mp4-parse';
import { firstPts, parseMp4, topLevelBoxTypes } from './support/mp4';

const VIDEO_TIMESCALE = loadFixtureClip().tracks[0]!.timescale;
const USER_SAMPLE = resolve(__dirname, '../../fixtures/user-sample.mp4');

function ffprobeAvailable(): boolean {
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('KVS emulator media served through playlists', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;
  let originMs: number;

  const producerSession = async (input: Partial<GetHLSStreamingSessionURLInput> = {}) => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'front-door',
        PlaybackMode: 'ON_DEMAND',
        HLSFragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: {
            StartTimestamp: at(START_MS - 5 * MINUTE_MS),
            EndTimestamp: at(START_MS - 4 * MINUTE_MS),
          },
        },
        MaxMediaPlaylistFragmentResults: 12,
        ...input,
      }),
    );
    return HLSStreamingSessionURL!;
  };

  beforeAll(async () => {
    harness = await startHarness({
      quotas: { fragmentsPerSession: 10_000, playlistsPerSession: 10_000 },
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'own-footage', retentionHours: 1, media: { source: USER_SAMPLE } },
      ],
    });
    media = await harness.media('front-door');
    const described = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }));
    originMs = described.StreamInfo!.CreationTime!.getTime();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('serves an init segment with ftyp and moov carrying avcC', async () => {
    const playlistUrl = await mediaPlaylistUrl(await producerSession());
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const init = await fetchBytes(new URL(playlist.segments[0]!.map!.uri, playlistUrl));

    const { file, errors } = parseMp4(init);

    expect(errors).toEqual([]);
    expect(topLevelBoxTypes(init)).toEqual(['ftyp', 'moov']);
    expect(file.getInfo().videoTracks[0]?.codec).toBe('avc1.4d401e');
    expect(
      file.moov?.traks[0]?.mdia.minf.stbl.stsd.entries[0]?.boxes?.some((box) => box.type === 'avcC'),
    ).toBe(true);
  });

  it('rewrites tfdt to the playlist position, continuously across the loop point of the clip', async () => {
    const playlistUrl = await mediaPlaylistUrl(await producerSession());
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const init = await fetchBytes(new URL(playlist.segments[0]!.map!.uri, playlistUrl));
    const fragments = await Promise.all(
      playlist.segments.map((segment) => fetchBytes(new URL(segment.uri, playlistUrl))),
    );

    const { file, errors } = parseMp4(init, ...fragments);
    const trafs = file.moofs.map((moof) => moof.trafs[0]!);
    const decodeTimes = trafs.map((traf) => Number(traf.tfdt.baseMediaDecodeTime));
    const sequenceNumbers = file.moofs.map((moof) => moof.mfhd.sequence_number);

    expect(errors).toEqual([]);
    expect(fragments.every((bytes) => topLevelBoxTypes(bytes).join() === 'moof,mdat')).toBe(true);
    expect(playlist.segments).toHaveLength(12);
    // 12 fragments of a 5-fragment clip cross its loop point twice.
    let positionMs = 0;
    const firstStartMs = Math.ceil((START_MS - 5 * MINUTE_MS - originMs) / 2000) * 2000;
    playlist.segments.forEach((segment, index) => {
      expect(decodeTimes[index]).toBe(((firstStartMs + positionMs) * VIDEO_TIMESCALE) / 1000);
      positionMs += segment.duration * 1000;
    });
    for (let index = 1; index < sequenceNumbers.length; index += 1) {
      expect(decodeTimes[index]).toBeGreaterThan(decodeTimes[index - 1]!);
      expect(sequenceNumbers[index]).toBeGreaterThan(sequenceNumbers[index - 1]!);
    }
  });

  it('serves MPEG-TS fragments whose PTS advance by the fragment durations', async () => {
    const playlistUrl = await mediaPlaylistUrl(await producerSession({ ContainerFormat: 'MPEG_TS' }));
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const segments = await Promise.all(
      playlist.segments.slice(0, 7).map((segment) => fetchBytes(new URL(segment.uri, playlistUrl))),
    );

    const pts = segments.map(firstPts);

    expect(segments.every((segment) => segment.length % 188 === 0 && segment[0] === 0x47)).toBe(true);
    for (let index = 1; index < pts.length; index += 1) {
      expect(pts[index]! - pts[index - 1]!).toBeGreaterThan(2 * 90_000 - 90 * 50);
      expect(pts[index]! - pts[index - 1]!).toBeLessThan(2 * 90_000 + 90 * 50);
    }
  });

  it('serves audio fragments that each start where the one before ended, across the loop point', async () => {
    const playlistUrl = await mediaPlaylistUrl(await producerSession(), 2);
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const init = await fetchBytes(new URL(playlist.segments[0]!.map!.uri, playlistUrl));
    const fragments = await Promise.all(
      playlist.segments.map((segment) => fetchBytes(new URL(segment.uri, playlistUrl))),
    );

    const spans = fragments.map((fragment) => fragmentTiming(init, fragment));

    expect(spans).toHaveLength(12);
    for (let k = 1; k < spans.length; k += 1) {
      expect(spans[k]!.tfdt).toBe(spans[k - 1]!.tfdt + spans[k - 1]!.ticks);
    }
    const audioTimescale = loadFixtureClip().tracks[1]!.timescale;
    playlist.segments.forEach((segment, k) => {
      expect(spans[k]!.ticks).toBe(segment.duration * audioTimescale);
    });
  });

  it('serves MPEG-TS fragments whose counters and decode times continue across the loop point', async () => {
    const playlistUrl = await mediaPlaylistUrl(await producerSession({ ContainerFormat: 'MPEG_TS' }));
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const segments = await Promise.all(
      playlist.segments.map((segment) => fetchBytes(new URL(segment.uri, playlistUrl))),
    );

    const { ccErrors } = checkTsPackets(segments);
    const streams = readProgramStreams(segments[0]!);
    const byPid = decodeTimesByPid(segments, readPesTimestamps);

    expect(segments).toHaveLength(12);
    expect(ccErrors).toBe(0);
    expect(streams.map((stream) => stream.kind)).toEqual(['video', 'audio']);
    for (const stream of streams) {
      const times = byPid.get(stream.pid)!;
      for (let i = 1; i < times.length; i += 1) {
        expect(times[i]!.dts).toBeGreaterThan(times[i - 1]!.dts);
        expect(times[i]!.pts).toBeGreaterThan(times[i - 1]!.pts);
      }
    }
  });

  it('returns a playable MP4 with both tracks from GetClip', async () => {
    const { ContentType, Payload } = await media.send(
      new GetClipCommand({
        StreamName: 'front-door',
        ClipFragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: {
            StartTimestamp: at(START_MS - 3 * MINUTE_MS),
            EndTimestamp: at(START_MS - 3 * MINUTE_MS + 9_000),
          },
        },
      }),
    );
    const bytes = await Payload!.transformToByteArray();

    const { file, errors } = parseMp4(bytes);
    const info = file.getInfo();

    expect(ContentType).toBe('video/mp4');
    expect(errors).toEqual([]);
    expect(topLevelBoxTypes(bytes).slice(0, 2)).toEqual(['ftyp', 'moov']);
    expect(info.videoTracks).toHaveLength(1);
    expect(info.audioTracks).toHaveLength(1);
    const videoId = info.videoTracks[0]!.id;
    const videoMoofs = file.moofs.filter((moof) => moof.trafs.some((traf) => traf.tfhd.track_id === videoId));
    expect(videoMoofs).toHaveLength(5);
  });

  it('answers GetClip as a fragmented MP4 whose timeline starts at zero and whose moov says its length (mehd)', async () => {
    const { Payload } = await media.send(
      new GetClipCommand({
        StreamName: 'front-door',
        ClipFragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: {
            StartTimestamp: at(START_MS - 10 * MINUTE_MS),
            EndTimestamp: at(START_MS - 10 * MINUTE_MS + 30_000),
          },
        },
      }),
    );
    const bytes = await Payload!.transformToByteArray();

    const { file, errors } = parseMp4(bytes);
    const movie = file.moov;
    const videoId = file.getInfo().videoTracks[0]!.id;
    const videoTrafs = file.moofs.flatMap((moof) =>
      moof.trafs.filter((traf) => traf.tfhd.track_id === videoId),
    );
    const videoTimescale = movie.traks.find((trak) => trak.tkhd.track_id === videoId)!.mdia.mdhd.timescale;
    const lastTraf = videoTrafs[videoTrafs.length - 1]!;
    const lastRunTicks = lastTraf.truns.reduce(
      (sum, trun) => sum + trun.sample_duration.reduce((total, duration) => total + duration, 0),
      0,
    );
    const videoEndSeconds = (Number(lastTraf.tfdt.baseMediaDecodeTime) + lastRunTicks) / videoTimescale;
    const declaredSeconds = Number(movie.mvex!.mehd!.fragment_duration) / movie.mvhd.timescale;

    expect(errors).toEqual([]);
    expect(topLevelBoxTypes(bytes).filter((type) => type === 'moof').length).toBeGreaterThan(1);
    expect(Number(videoTrafs[0]!.tfdt.baseMediaDecodeTime)).toBe(0);
    // The fragments whose server timestamps fall in the 30 s range: about 30 s of video, declared as such.
    expect(declaredSeconds).toBeGreaterThan(26);
    expect(declaredSeconds).toBeLessThan(34);
    expect(Math.abs(declaredSeconds - videoEndSeconds)).toBeLessThan(0.1);
    if (ffprobeAvailable()) {
      const path = join(mkdtempSync(join(tmpdir(), 'kvs-clip-')), 'clip.mp4');
      writeFileSync(path, bytes);
      const probed = JSON.parse(
        execFileSync(
          'ffprobe',
          ['-v', 'error', '-show_entries', 'format=start_time,duration', '-of', 'json', path],
          { encoding: 'utf8' },
        ),
      ) as { format: { start_time: string; duration: string } };
      rmSync(dirname(path), { recursive: true, force: true });
      expect(Number(probed.format.start_time)).toBe(0);
      expect(Math.abs(Number(probed.format.duration) - declaredSeconds)).toBeLessThan(0.1);
    }
  });

  it('plays a stream loaded from a user MP4 file', async () => {
    const ownMedia = await harness.media('own-footage');
    const { HLSStreamingSessionURL } = await ownMedia.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: 'own-footage' }),
    );
    const playlistUrl = await mediaPlaylistUrl(HLSStreamingSessionURL!);
    const playlist = parseM3u8(await fetchText(playlistUrl));
    const init = await fetchBytes(new URL(playlist.segments[0]!.map!.uri, playlistUrl));
    const fragment = await fetchBytes(new URL(playlist.segments[0]!.uri, playlistUrl));

    const { file, errors } = parseMp4(init, fragment);

    expect(errors).toEqual([]);
    expect(file.getInfo().videoTracks[0]?.codec).toMatch(/^avc1\./);
    expect(file.moofs).toHaveLength(1);
  });
});
