import {
  GetClipCommand,
  ListFragmentsCommand,
  type ClipFragmentSelector,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { clipFragments } from '../../src/archived-media';
import type { ArchivedFragment } from '../../src/timeline';
import { parseMp4 } from './support/mp4';
import { at, HOUR_MS, MINUTE_MS, START_MS, startHarness, type Harness } from './support/emulator-harness';

/** Video fragments (moofs of track 1) of a clip, with the decode time where each starts. */
async function clipVideo(
  client: KinesisVideoArchivedMediaClient,
  streamName: string,
  selector: ClipFragmentSelector,
) {
  const { Payload } = await client.send(
    new GetClipCommand({ StreamName: streamName, ClipFragmentSelector: selector }),
  );
  const bytes = await Payload!.transformToByteArray();
  const { file, errors } = parseMp4(bytes);
  if (errors.length > 0) throw new Error(errors.join('; '));
  const video = file.getInfo().videoTracks[0]!;
  const moofs = file.moofs.filter((moof) => moof.trafs.some((traf) => traf.tfhd.track_id === video.id));
  return {
    bytes: bytes.length,
    fragments: moofs.length,
    /** The clip's length as its moov declares it (mehd). */
    declaredMs: (Number(file.moov.mvex!.mehd!.fragment_duration) * 1000) / file.moov.mvhd.timescale,
    firstDecodeMs:
      (Number(moofs[0]!.trafs.find((traf) => traf.tfhd.track_id === video.id)!.tfdt.baseMediaDecodeTime) *
        1000) /
      video.timescale,
  };
}

const producerRange = (startMs: number, endMs: number): ClipFragmentSelector => ({
  FragmentSelectorType: 'PRODUCER_TIMESTAMP',
  TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) },
});

describe('GetClip keeps the service limits', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  beforeAll(async () => {
    harness = await startHarness({
      quotas: { mediaApiPerStream: 10_000 },
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'retried', retentionHours: 24, media: 'fixture', duplicateEvery: 3 },
      ],
    });
    media = await harness.media('front-door', 'GET_CLIP');
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('answers the first 200 fragments of a longer range, from StartTimestamp on, instead of refusing it', async () => {
    const startMs = START_MS - 2 * HOUR_MS;

    const clip = await clipVideo(media, 'front-door', producerRange(startMs, startMs + 30 * MINUTE_MS));
    const next = await clipVideo(
      media,
      'front-door',
      producerRange(startMs + 400_000, startMs + 30 * MINUTE_MS),
    );

    // 900 two-second fragments lie in the range: the clip holds the first 200 (400 s).
    expect(clip.fragments).toBe(200);
    expect(next.fragments).toBe(200);
    // Each clip is a file of its own, from 0:00, and says how long it is: a caller pages a long range by
    // asking again from StartTimestamp plus that length.
    expect([clip.firstDecodeMs, next.firstDecodeMs]).toEqual([0, 0]);
    expect([clip.declaredMs, next.declaredMs]).toEqual([400_000, 400_000]);
  });

  it('counts a fragment the producer sent twice once', async () => {
    const retried = await harness.media('retried', 'GET_CLIP');
    const startMs = START_MS - 2 * HOUR_MS;
    let listed = 0;
    let token: string | undefined;
    do {
      const page = await retried.send(
        new ListFragmentsCommand({
          StreamName: 'retried',
          MaxResults: 1000,
          FragmentSelector: {
            FragmentSelectorType: 'PRODUCER_TIMESTAMP',
            TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(startMs + 398_000) },
          },
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      listed += page.Fragments!.length;
      token = page.NextToken;
    } while (token !== undefined);

    const clip = await clipVideo(retried, 'retried', producerRange(startMs, startMs + 10 * MINUTE_MS));

    expect(listed).toBeGreaterThan(250);
    expect(clip.fragments).toBe(200);
  });

  it.each<[string, ClipFragmentSelector]>([
    ['an EndTimestamp equal to StartTimestamp', producerRange(START_MS - HOUR_MS, START_MS - HOUR_MS)],
    ['a range over 24 hours', producerRange(START_MS - 25 * HOUR_MS, START_MS - HOUR_MS + 1)],
    [
      'a SERVER_TIMESTAMP range ending in the future',
      {
        FragmentSelectorType: 'SERVER_TIMESTAMP',
        TimestampRange: { StartTimestamp: at(START_MS - MINUTE_MS), EndTimestamp: at(START_MS + 1000) },
      },
    ],
  ])('rejects %s with InvalidArgumentException', async (_rule, selector) => {
    await expect(
      media.send(new GetClipCommand({ StreamName: 'front-door', ClipFragmentSelector: selector })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });

  it('answers a range without fragments with the service message for clips', async () => {
    await expect(
      media.send(
        new GetClipCommand({
          StreamName: 'front-door',
          ClipFragmentSelector: producerRange(START_MS + HOUR_MS, START_MS + 2 * HOUR_MS),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'No fragments found in the stream for the clip request.',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('GetClip limits lowered through the limits option', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;
  /** Bytes of each fragment from the range's start, as ListFragments reports them. */
  let sizes: number[];
  const startMs = START_MS - HOUR_MS;

  beforeAll(async () => {
    harness = await startHarness({
      limits: { clipMaxFragments: 3, clipMaxBytes: 10 * 1024 * 1024 },
      streams: [{ name: 'front-door', retentionHours: 24, media: 'fixture' }],
    });
    media = await harness.media('front-door', 'GET_CLIP');
    const { Fragments } = await media.send(
      new ListFragmentsCommand({
        StreamName: 'front-door',
        FragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(startMs + 18_000) },
        },
      }),
    );
    sizes = [...Fragments!]
      .sort((a, b) => a.ProducerTimestamp!.getTime() - b.ProducerTimestamp!.getTime())
      .map((fragment) => fragment.FragmentSizeInBytes!);
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('cuts a clip at clipMaxFragments', async () => {
    const clip = await clipVideo(media, 'front-door', producerRange(startMs, startMs + 18_000));

    expect(clip.fragments).toBe(3);
  });

  it('cuts a clip where its media would pass clipMaxBytes, and always keeps the first fragment', async () => {
    const small = await startHarness({
      limits: { clipMaxBytes: sizes[0]! + sizes[1]! + 1 },
      streams: [{ name: 'front-door', retentionHours: 24, media: 'fixture' }],
    });
    const tiny = await startHarness({
      limits: { clipMaxBytes: 1 },
      streams: [{ name: 'front-door', retentionHours: 24, media: 'fixture' }],
    });
    try {
      const two = await clipVideo(
        await small.media('front-door'),
        'front-door',
        producerRange(startMs, startMs + 18_000),
      );
      const one = await clipVideo(
        await tiny.media('front-door'),
        'front-door',
        producerRange(startMs, startMs + 18_000),
      );

      expect(two.fragments).toBe(2);
      expect(one.fragments).toBe(1);
    } finally {
      await small.stop();
      await tiny.stop();
    }
  });

  it('refuses limits that are not positive integers at start', async () => {
    await expect(startHarness({ limits: { clipMaxFragments: 0 } })).rejects.toThrow(
      /limits\.clipMaxFragments/,
    );
    await expect(startHarness({ limits: { clipMaxBytes: 1.5 } })).rejects.toThrow(/limits\.clipMaxBytes/);
  });
});

describe('clipFragments', () => {
  const fragment = (k: number, duplicate = false): ArchivedFragment => ({
    ingestIndex: k * 2 + (duplicate ? 1 : 0),
    timelineIndex: k,
    clipIndex: k % 5,
    fragmentNumber: String(1000 + k * 2 + (duplicate ? 1 : 0)),
    producerStartMs: k * 2000,
    serverStartMs: k * 2000 + (duplicate ? 300 : 10),
    durationMs: 2000,
    duplicate,
  });

  it('keeps the retry of the last fragment it takes, and stops at the next new one', () => {
    const candidates = [fragment(0), fragment(1), fragment(1, true), fragment(2)];

    const chosen = clipFragments(candidates, () => 10, { maxFragments: 2, maxBytes: 1000 });

    expect(chosen.map((f) => f.fragmentNumber)).toEqual(['1000', '1003']);
  });

  it('adds up bytes in order and stops before passing the budget', () => {
    const candidates = [0, 1, 2, 3].map((k) => fragment(k));

    const chosen = clipFragments(candidates, (f) => (f.timelineIndex + 1) * 100, {
      maxFragments: 10,
      maxBytes: 600,
    });

    expect(chosen.map((f) => f.timelineIndex)).toEqual([0, 1, 2]);
  });
});
