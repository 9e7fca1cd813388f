import { CreateStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetImagesCommand,
  paginateGetImages,
  type GetImagesCommandInput,
  type Image,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { fixturePath, readFixtureManifest } from '../../src/media/index';
import { at, MINUTE_MS, START_MS, startHarness, type Harness } from './support/emulator-harness';
import {
  closestStill,
  decodeImage,
  fixtureStills,
  jpegFrameSize,
  pngHeaderSize,
  type DecodedImage,
} from './support/images';

const USER_SAMPLE = fixturePath(readFixtureManifest().userSample);
const SECOND_MS = 1000;

/**
 * Lets the event loop run between slow synchronous checks (decoding in jest's sandbox is slow), so that
 * keep-alive sockets the emulator closes meanwhile are seen closed before the next request.
 */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Yields to the event loop until `done` holds, a bounded number of times (no wall-clock waits). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100_000 && !done(); turn += 1) await settle();
  if (!done()) throw new Error('condition never held');
}

function bytesOf(image: Image): Uint8Array {
  if (image.ImageContent === undefined) throw new Error(`no image at ${image.TimeStamp?.toISOString()}`);
  return new Uint8Array(Buffer.from(image.ImageContent, 'base64'));
}

describe('GetImages over HTTP with the real SDK client', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;
  let stills: { intervalMs: number; images: DecodedImage[] };
  /** Producer time of the first fragment of front-door: its clip starts over every 10 s from here. */
  let originMs: number;

  const images = (input: Partial<GetImagesCommandInput>) =>
    media.send(
      new GetImagesCommand({
        StreamName: 'front-door',
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: at(START_MS - 5 * MINUTE_MS),
        EndTimestamp: at(START_MS - 5 * MINUTE_MS + 4 * SECOND_MS),
        SamplingInterval: SECOND_MS,
        Format: 'JPEG',
        ...input,
      }),
    );

  beforeAll(async () => {
    harness = await startHarness({
      quotas: { getImagesPerStream: 10_000 },
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'backyard', retentionHours: 2, media: 'fixture-video-only' },
        { name: 'garage', retentionHours: 24, media: 'fixture', endedMinutesAgo: 60 },
        { name: 'no-retention', retentionHours: 0, media: 'fixture' },
        { name: 'legacy-mjpeg', retentionHours: 24, media: 'fixture-video-only', codecId: 'V_MJPEG' },
        { name: 'own-footage', retentionHours: 1, media: { source: USER_SAMPLE } },
      ],
    });
    media = await harness.media('front-door', 'GET_IMAGES');
    stills = fixtureStills();
    const described = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }));
    originMs = described.StreamInfo!.CreationTime!.getTime();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('answers real JPEGs at the stream size, one per interval, each the frame playing at its time', async () => {
    const startMs = START_MS - 5 * MINUTE_MS;

    const { Images, NextToken } = await images({
      StartTimestamp: at(startMs),
      EndTimestamp: at(startMs + 8250),
      SamplingInterval: 750,
    });

    expect(NextToken).toBeUndefined();
    expect(Images!.map((image) => image.TimeStamp!.getTime())).toEqual(
      Array.from({ length: 12 }, (_, k) => startMs + k * 750),
    );
    for (const image of Images!) {
      await settle();
      const bytes = bytesOf(image);
      expect(image.Error).toBeUndefined();
      expect(jpegFrameSize(bytes)).toEqual({ width: 480, height: 270 });
      const decoded = decodeImage(bytes);
      expect(decoded).toMatchObject({ format: 'JPEG', width: 480, height: 270 });
      const clipMs = (image.TimeStamp!.getTime() - originMs) % 10_000;
      expect(closestStill(decoded, stills.images)).toBe(Math.floor(clipMs / stills.intervalMs));
    }
  });

  it('scales to WidthPixels x HeightPixels, stretching to that aspect ratio, as PNG', async () => {
    const { Images } = await images({ Format: 'PNG', WidthPixels: 160, HeightPixels: 300 });

    expect(Images).toHaveLength(5);
    for (const image of Images!) {
      await settle();
      const bytes = bytesOf(image);
      expect(pngHeaderSize(bytes)).toEqual({ width: 160, height: 300 });
      expect(decodeImage(bytes)).toMatchObject({ format: 'PNG', width: 160, height: 300 });
    }
  });

  it('applies FormatConfig JPEGQuality: lower quality, fewer bytes (default 80)', async () => {
    const sizes = async (quality?: string) => {
      const { Images } = await images(
        quality === undefined ? {} : { FormatConfig: { JPEGQuality: quality } },
      );
      return Images!.map((image) => bytesOf(image).length);
    };

    const [low, standard, best] = [await sizes('10'), await sizes(), await sizes('100')];

    for (let i = 0; i < low.length; i += 1) {
      expect(low[i]).toBeLessThan(standard[i]!);
      expect(standard[i]).toBeLessThan(best[i]!);
    }
    expect(await sizes('80')).toEqual(standard);
  });

  it('samples every 3 s when SamplingInterval is absent, and answers the start alone for a shorter range', async () => {
    const startMs = START_MS - 5 * MINUTE_MS;

    const { Images: everyThree } = await images({
      StartTimestamp: at(startMs),
      EndTimestamp: at(startMs + 9 * SECOND_MS),
      SamplingInterval: undefined,
    });
    const { Images: single } = await images({
      StartTimestamp: at(startMs),
      EndTimestamp: at(startMs + 400),
      SamplingInterval: 1000,
    });

    expect(everyThree!.map((image) => image.TimeStamp!.getTime() - startMs)).toEqual([0, 3000, 6000, 9000]);
    expect(single!.map((image) => image.TimeStamp!.getTime())).toEqual([startMs]);
    expect(single![0]!.ImageContent).toEqual(expect.any(String));
  });

  it('pages 25 images at most, MaxResults above 25 included, and the SDK paginator reads them all', async () => {
    const range = {
      StartTimestamp: at(START_MS - 10 * MINUTE_MS),
      EndTimestamp: at(START_MS - 9 * MINUTE_MS),
    };

    const first = await images({ ...range, MaxResults: 100 });
    const second = await images({ ...range, MaxResults: 100, NextToken: first.NextToken! });
    const third = await images({ ...range, MaxResults: 100, NextToken: second.NextToken! });
    const small = await images({ ...range, MaxResults: 7 });
    const all: Image[] = [];
    for await (const page of paginateGetImages(
      { client: media, pageSize: 10 },
      {
        StreamName: 'front-door',
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        ...range,
        SamplingInterval: SECOND_MS,
        Format: 'JPEG',
        WidthPixels: 48,
        HeightPixels: 27,
      },
    )) {
      expect(page.Images!.length).toBeLessThanOrEqual(10);
      all.push(...page.Images!);
    }

    expect([first.Images!.length, second.Images!.length, third.Images!.length]).toEqual([25, 25, 11]);
    expect(first.NextToken).toMatch(/^[a-zA-Z0-9+/]+={0,2}$/);
    expect(third.NextToken).toBeUndefined();
    expect(small.Images).toHaveLength(7);
    const paged = [...first.Images!, ...second.Images!, ...third.Images!].map((i) => i.TimeStamp!.getTime());
    const expected = Array.from({ length: 61 }, (_, k) => START_MS - 10 * MINUTE_MS + k * SECOND_MS);
    expect(paged).toEqual(expected);
    expect(all.map((image) => image.TimeStamp!.getTime())).toEqual(expected);
    expect(all.every((image) => image.ImageContent !== undefined)).toBe(true);
  });

  it('refuses a NextToken it did not issue, or issued for another request', async () => {
    const { NextToken } = await images({
      StartTimestamp: at(START_MS - 10 * MINUTE_MS),
      EndTimestamp: at(START_MS - 9 * MINUTE_MS),
    });

    await expect(
      images({
        StartTimestamp: at(START_MS - 20 * MINUTE_MS),
        EndTimestamp: at(START_MS - 19 * MINUTE_MS),
        NextToken: NextToken!,
      }),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
    await expect(images({ NextToken: 'bm90LWEtdG9rZW4=' })).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
  });

  it('maps server timestamps onto the archive: what is not yet ingested answers NO_MEDIA', async () => {
    const { Images } = await images({
      ImageSelectorType: 'SERVER_TIMESTAMP',
      StartTimestamp: at(START_MS - 9500),
      EndTimestamp: at(START_MS + 4500),
    });
    const byOffset = new Map(Images!.map((image) => [image.TimeStamp!.getTime() - START_MS, image]));

    expect(Images).toHaveLength(15);
    // Mid-fragment times of fragments complete before now (clear of the ingest jitter at their edges).
    for (const offset of [-9500, -7500, -5500, -4500]) {
      expect(decodeImage(bytesOf(byOffset.get(offset)!))).toMatchObject({ width: 480, height: 270 });
    }
    for (const offset of [500, 1500, 4500]) {
      expect(byOffset.get(offset)).toEqual({ TimeStamp: new Date(START_MS + offset), Error: 'NO_MEDIA' });
    }
  });

  it('answers NO_MEDIA where no fragment exists: after the producer stopped, beyond retention, on a new stream', async () => {
    await harness.kvs.send(new CreateStreamCommand({ StreamName: 'brand-new', DataRetentionInHours: 24 }));
    const range = {
      StartTimestamp: at(START_MS - 10 * MINUTE_MS),
      EndTimestamp: at(START_MS - 10 * MINUTE_MS + 2000),
    };

    const garage = await (
      await harness.media('garage', 'GET_IMAGES')
    ).send(
      new GetImagesCommand({
        StreamName: 'garage',
        ImageSelectorType: 'SERVER_TIMESTAMP',
        Format: 'JPEG',
        ...range,
      }),
    );
    const backyard = await (
      await harness.media('backyard', 'GET_IMAGES')
    ).send(
      new GetImagesCommand({
        StreamName: 'backyard',
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        Format: 'PNG',
        StartTimestamp: at(START_MS - 3 * 60 * MINUTE_MS),
        EndTimestamp: at(START_MS - 3 * 60 * MINUTE_MS + 2000),
        SamplingInterval: 1000,
      }),
    );
    const brandNew = await (
      await harness.media('brand-new', 'GET_IMAGES')
    ).send(
      new GetImagesCommand({
        StreamName: 'brand-new',
        ImageSelectorType: 'SERVER_TIMESTAMP',
        Format: 'JPEG',
        ...range,
      }),
    );

    for (const answer of [garage, backyard, brandNew]) {
      expect(answer.Images!.length).toBeGreaterThan(0);
      expect(
        answer.Images!.every((image) => image.Error === 'NO_MEDIA' && image.ImageContent === undefined),
      ).toBe(true);
    }
  });

  it('pictures a video-only stream from the same stills', async () => {
    const backyard = await harness.media('backyard', 'GET_IMAGES');

    const { Images } = await backyard.send(
      new GetImagesCommand({
        StreamName: 'backyard',
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: at(START_MS - 30 * MINUTE_MS),
        EndTimestamp: at(START_MS - 30 * MINUTE_MS + 2000),
        SamplingInterval: 1000,
        Format: 'JPEG',
      }),
    );

    expect(Images).toHaveLength(3);
    for (const image of Images!) expect(jpegFrameSize(bytesOf(image))).toEqual({ width: 480, height: 270 });
  });

  it.each([
    ['a stream backed by a user MP4 (no pre-rendered stills)', 'own-footage'],
    ['a stream whose codec cannot be pictured', 'legacy-mjpeg'],
  ])('answers MEDIA_ERROR for every image of %s', async (_case, streamName) => {
    const client = await harness.media(streamName, 'GET_IMAGES');

    const { Images } = await client.send(
      new GetImagesCommand({
        StreamName: streamName,
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: at(START_MS - 20 * MINUTE_MS),
        EndTimestamp: at(START_MS - 20 * MINUTE_MS + 3000),
        SamplingInterval: 1000,
        Format: 'JPEG',
      }),
    );

    expect(Images!.map((image) => image.TimeStamp!.getTime() - (START_MS - 20 * MINUTE_MS))).toEqual([
      0, 1000, 2000, 3000,
    ]);
    expect(Images!.every((image) => image.Error === 'MEDIA_ERROR' && image.ImageContent === undefined)).toBe(
      true,
    );
  });

  it.each([
    ['no ImageSelectorType', { ImageSelectorType: undefined }],
    ['an unknown ImageSelectorType', { ImageSelectorType: 'WALL_CLOCK' }],
    ['no StartTimestamp', { StartTimestamp: undefined }],
    ['no EndTimestamp', { EndTimestamp: undefined }],
    ['an EndTimestamp before StartTimestamp', { EndTimestamp: at(START_MS - 6 * MINUTE_MS) }],
    ['a range over 300 s', { EndTimestamp: at(START_MS - 5 * MINUTE_MS + 300_001) }],
    ['a SamplingInterval under 200 ms', { SamplingInterval: 199 }],
    ['a SamplingInterval that is not an integer', { SamplingInterval: 500.5 }],
    ['no Format', { Format: undefined }],
    ['an unknown Format', { Format: 'GIF' }],
    ['an empty FormatConfig', { FormatConfig: {} }],
    ['an unknown FormatConfig key', { FormatConfig: { Sharpness: '3' } }],
    ['a JPEGQuality of 0', { FormatConfig: { JPEGQuality: '0' } }],
    ['a JPEGQuality of 101', { FormatConfig: { JPEGQuality: '101' } }],
    ['a JPEGQuality that is not a number', { FormatConfig: { JPEGQuality: 'best' } }],
    ['WidthPixels without HeightPixels', { WidthPixels: 320 }],
    ['HeightPixels without WidthPixels', { HeightPixels: 180 }],
    ['a WidthPixels of 0', { WidthPixels: 0, HeightPixels: 180 }],
    ['a WidthPixels over 3840', { WidthPixels: 3841, HeightPixels: 180 }],
    ['a HeightPixels over 2160', { WidthPixels: 320, HeightPixels: 2161 }],
    ['a MaxResults of 0', { MaxResults: 0 }],
    ['a MaxResults over 100', { MaxResults: 101 }],
    ['a NextToken outside its pattern', { NextToken: 'not a token!' }],
    [
      'both StreamName and StreamARN',
      { StreamARN: 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/x/1' },
    ],
    ['neither StreamName nor StreamARN', { StreamName: undefined }],
  ])('rejects %s with InvalidArgumentException', async (_rule, override) => {
    await expect(images(override as Partial<GetImagesCommandInput>)).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('accepts the bounds themselves: a 300 s range, a 200 ms interval, 3840 x 2160, MaxResults 1 and 100', async () => {
    const startMs = START_MS - 5 * MINUTE_MS;

    const widest = await images({
      EndTimestamp: at(startMs + 300_000),
      SamplingInterval: 200,
      MaxResults: 1,
      WidthPixels: 1,
      HeightPixels: 1,
    });
    const largest = await images({
      EndTimestamp: at(startMs),
      WidthPixels: 3840,
      HeightPixels: 2160,
      MaxResults: 100,
    });

    expect(widest.Images).toHaveLength(1);
    expect(widest.NextToken).toEqual(expect.any(String));
    expect(jpegFrameSize(bytesOf(largest.Images![0]!))).toEqual({ width: 3840, height: 2160 });
  });

  it('names a missing stream ResourceNotFoundException and a stream without retention NoDataRetentionException', async () => {
    await expect(images({ StreamName: 'no-such-stream' })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    const noRetention = await harness.media('no-retention', 'GET_IMAGES');
    await expect(
      noRetention.send(
        new GetImagesCommand({
          StreamName: 'no-retention',
          ImageSelectorType: 'SERVER_TIMESTAMP',
          StartTimestamp: at(START_MS - MINUTE_MS),
          EndTimestamp: at(START_MS - MINUTE_MS + 1000),
          Format: 'JPEG',
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoDataRetentionException', $metadata: { httpStatusCode: 400 } });
  });

  it('counts its calls and errors like every operation', async () => {
    harness.emulator.resetCounters();

    await images({});
    await images({ Format: 'BMP' } as never).catch(() => undefined);

    expect(harness.emulator.counters()).toMatchObject({
      GetImages: 2,
      'GetImages:InvalidArgumentException': 1,
    });
  });

  it('keeps answering other calls while it makes large images', async () => {
    const order: string[] = [];
    const countBefore = harness.emulator.counters().GetImages ?? 0;
    // Two 3840x2160 PNGs no other test asked for: far more pixel work than a DescribeStream round trip.
    const large = images({
      StartTimestamp: at(START_MS - 9 * MINUTE_MS),
      EndTimestamp: at(START_MS - 9 * MINUTE_MS + SECOND_MS),
      Format: 'PNG',
      WidthPixels: 3840,
      HeightPixels: 2160,
    }).then((answer) => {
      order.push('GetImages');
      return answer;
    });
    await until(() => (harness.emulator.counters().GetImages ?? 0) > countBefore);

    await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }));
    order.push('DescribeStream');
    const { Images } = await large;

    expect(order).toEqual(['DescribeStream', 'GetImages']);
    expect(Images).toHaveLength(2);
    expect(pngHeaderSize(bytesOf(Images![0]!))).toEqual({ width: 3840, height: 2160 });
  });
});

describe('the GetImages quota', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'backyard', retentionHours: 24, media: 'fixture-video-only' },
      ],
    });
  });

  afterAll(async () => {
    await harness.stop();
  });

  const call = async (streamName: string) =>
    (await harness.media(streamName, 'GET_IMAGES')).send(
      new GetImagesCommand({
        StreamName: streamName,
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: at(START_MS - MINUTE_MS),
        EndTimestamp: at(START_MS - MINUTE_MS),
        Format: 'JPEG',
        WidthPixels: 16,
        HeightPixels: 9,
      }),
    );

  it('allows 5 calls a second per stream, then ClientLimitExceededException until the bucket refills', async () => {
    for (let i = 0; i < 5; i += 1) await call('front-door');

    await expect(call('front-door')).rejects.toMatchObject({
      name: 'ClientLimitExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(call('backyard')).resolves.toMatchObject({ Images: [expect.anything()] });
    harness.clock.advance(1000);
    await expect(call('front-door')).resolves.toMatchObject({ Images: [expect.anything()] });
  });
});
