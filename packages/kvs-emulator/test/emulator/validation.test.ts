import {
  GetClipCommand,
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  ListFragmentsCommand,
  type GetDASHStreamingSessionURLInput,
  type GetHLSStreamingSessionURLInput,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { at, HOUR_MS, MINUTE_MS, startHarness, START_MS, type Harness } from './support/emulator-harness';

const NOT_FOUND = 'The requested stream is not found or not active.';
const NO_FRAGMENTS = 'No fragments found in the stream for the streaming request.';
const range = (startMs: number, endMs?: number) => ({
  StartTimestamp: at(startMs),
  ...(endMs === undefined ? {} : { EndTimestamp: at(endMs) }),
});
const onDemand = (startMs: number, endMs?: number): Partial<GetHLSStreamingSessionURLInput> => ({
  PlaybackMode: 'ON_DEMAND',
  HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: range(startMs, endMs) },
});

interface Rule {
  readonly rule: string;
  readonly input: Record<string, unknown>;
  readonly error: string;
  readonly status: number;
  readonly message?: string;
}

const HLS_RULES: readonly Rule[] = [
  {
    rule: 'neither StreamName nor StreamARN',
    input: { StreamName: undefined },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'both StreamName and StreamARN',
    input: { StreamARN: 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door/1' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a StreamName with forbidden characters',
    input: { StreamName: 'front door!' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a StreamName longer than 256',
    input: { StreamName: 'a'.repeat(257) },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a StreamARN that is not a Kinesis Video stream ARN',
    input: { StreamName: undefined, StreamARN: 'arn:aws:s3:::front-door' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'an unknown stream name',
    input: { StreamName: 'back-door' },
    error: 'ResourceNotFoundException',
    status: 404,
    message: NOT_FOUND,
  },
  {
    rule: 'a well-formed ARN of no stream',
    input: {
      StreamName: undefined,
      StreamARN: 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door/1',
    },
    error: 'ResourceNotFoundException',
    status: 404,
    message: NOT_FOUND,
  },
  {
    rule: 'a PlaybackMode outside the enum',
    input: { PlaybackMode: 'REPLAY' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a FragmentSelectorType outside the enum',
    input: { HLSFragmentSelector: { FragmentSelectorType: 'CLIENT_TIMESTAMP' } },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a ContainerFormat outside the enum',
    input: { ContainerFormat: 'MKV' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a DiscontinuityMode outside the enum',
    input: { DiscontinuityMode: 'SOMETIMES' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a DisplayFragmentTimestamp outside the enum',
    input: { DisplayFragmentTimestamp: 'MAYBE' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  { rule: 'Expires below 300', input: { Expires: 299 }, error: 'InvalidArgumentException', status: 400 },
  { rule: 'Expires above 43200', input: { Expires: 43201 }, error: 'InvalidArgumentException', status: 400 },
  {
    rule: 'Expires not an integer',
    input: { Expires: 300.5 },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'MaxMediaPlaylistFragmentResults of 0',
    input: { MaxMediaPlaylistFragmentResults: 0 },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'MaxMediaPlaylistFragmentResults above 5000',
    input: { MaxMediaPlaylistFragmentResults: 5001 },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'ON_DEMAND without a fragment selector',
    input: { PlaybackMode: 'ON_DEMAND' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'LIVE_REPLAY without a TimestampRange',
    input: { PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP' } },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'LIVE_REPLAY with a TimestampRange but no FragmentSelectorType',
    input: {
      PlaybackMode: 'LIVE_REPLAY',
      HLSFragmentSelector: { TimestampRange: range(START_MS - HOUR_MS) },
    },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'LIVE with a TimestampRange',
    input: {
      HLSFragmentSelector: {
        FragmentSelectorType: 'SERVER_TIMESTAMP',
        TimestampRange: range(START_MS - HOUR_MS),
      },
    },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a TimestampRange without StartTimestamp',
    input: {
      PlaybackMode: 'LIVE_REPLAY',
      HLSFragmentSelector: {
        FragmentSelectorType: 'SERVER_TIMESTAMP',
        TimestampRange: { EndTimestamp: at(START_MS - HOUR_MS) },
      },
    },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'ON_DEMAND without EndTimestamp',
    input: onDemand(START_MS - HOUR_MS),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'EndTimestamp before StartTimestamp',
    input: onDemand(START_MS - HOUR_MS, START_MS - 2 * HOUR_MS),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'EndTimestamp equal to StartTimestamp',
    input: onDemand(START_MS - HOUR_MS, START_MS - HOUR_MS),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'EndTimestamp more than 24 hours after StartTimestamp',
    input: onDemand(START_MS - 25 * HOUR_MS, START_MS - HOUR_MS + 1000),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a SERVER_TIMESTAMP EndTimestamp in the future',
    input: onDemand(START_MS - HOUR_MS, START_MS + MINUTE_MS),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a range outside the retention period',
    input: onDemand(START_MS - 48 * HOUR_MS, START_MS - 47 * HOUR_MS),
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a stream with retention 0',
    input: { StreamName: 'no-retention' },
    error: 'NoDataRetentionException',
    status: 400,
  },
  {
    rule: 'a stream whose track 1 is not H.264/H.265',
    input: { StreamName: 'legacy-mjpeg' },
    error: 'UnsupportedStreamMediaTypeException',
    status: 400,
  },
  {
    rule: 'LIVE on a stream silent for more than 30 s',
    input: { StreamName: 'garage' },
    error: 'ResourceNotFoundException',
    status: 404,
    message: NO_FRAGMENTS,
  },
  {
    rule: 'a range with no fragments',
    input: { StreamName: 'garage', ...onDemand(START_MS - 50 * MINUTE_MS, START_MS - 40 * MINUTE_MS) },
    error: 'ResourceNotFoundException',
    status: 404,
    message: NO_FRAGMENTS,
  },
];

const DASH_RULES: readonly Rule[] = [
  {
    rule: 'a DisplayFragmentNumber outside the enum',
    input: { DisplayFragmentNumber: 'SOMETIMES' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'MaxManifestFragmentResults above 5000',
    input: { MaxManifestFragmentResults: 5001 },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'ON_DEMAND without a DASHFragmentSelector',
    input: { PlaybackMode: 'ON_DEMAND' },
    error: 'InvalidArgumentException',
    status: 400,
  },
  {
    rule: 'a stream with retention 0',
    input: { StreamName: 'no-retention' },
    error: 'NoDataRetentionException',
    status: 400,
  },
];

describe('KVS emulator validation of session-URL and media calls', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  beforeAll(async () => {
    harness = await startHarness({ quotas: { sessionUrlPerStream: 10_000, mediaApiPerStream: 10_000 } });
    media = await harness.media('front-door');
  });

  afterAll(async () => {
    await harness.stop();
  });

  it.each(HLS_RULES)(
    'GetHLSStreamingSessionURL rejects $rule with $error',
    async ({ input, error, status, message }) => {
      const request = { StreamName: 'front-door', ...input } as GetHLSStreamingSessionURLInput;

      await expect(media.send(new GetHLSStreamingSessionURLCommand(request))).rejects.toMatchObject({
        name: error,
        $metadata: { httpStatusCode: status },
        ...(message === undefined ? {} : { message }),
      });
    },
  );

  it.each(DASH_RULES)(
    'GetDASHStreamingSessionURL rejects $rule with $error',
    async ({ input, error, status }) => {
      const request = { StreamName: 'front-door', ...input } as GetDASHStreamingSessionURLInput;

      await expect(media.send(new GetDASHStreamingSessionURLCommand(request))).rejects.toMatchObject({
        name: error,
        $metadata: { httpStatusCode: status },
      });
    },
  );

  it('accepts the smallest and largest Expires and fragment counts', async () => {
    const smallest = await media.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'front-door',
        Expires: 300,
        MaxMediaPlaylistFragmentResults: 1,
      }),
    );
    const largest = await media.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'front-door',
        Expires: 43200,
        MaxMediaPlaylistFragmentResults: 5000,
      }),
    );

    expect(smallest.HLSStreamingSessionURL).toContain('/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=');
    expect(largest.HLSStreamingSessionURL).toContain('/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=');
  });

  it.each([
    ['MaxResults of 0', { MaxResults: 0 }],
    ['MaxResults above 1000', { MaxResults: 1001 }],
    [
      'a fragment selector without a TimestampRange',
      { FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP' } },
    ],
    ['a NextToken it never issued', { NextToken: 'bm90LWEtdG9rZW4' }],
  ])('ListFragments rejects %s with InvalidArgumentException', async (_rule, input) => {
    await expect(
      media.send(new ListFragmentsCommand({ StreamName: 'front-door', ...(input as object) })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });

  it('GetClip rejects a missing ClipFragmentSelector with InvalidArgumentException', async () => {
    await expect(media.send(new GetClipCommand({ StreamName: 'front-door' } as never))).rejects.toMatchObject(
      { name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } },
    );
  });

  it('GetClip answers an empty range with ResourceNotFoundException', async () => {
    await expect(
      media.send(
        new GetClipCommand({
          StreamName: 'garage',
          ClipFragmentSelector: {
            FragmentSelectorType: 'SERVER_TIMESTAMP',
            TimestampRange: range(START_MS - 50 * MINUTE_MS, START_MS - 40 * MINUTE_MS) as never,
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});
