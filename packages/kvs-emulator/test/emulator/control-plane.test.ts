import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  ListStreamsCommand,
  type APIName,
} from '@aws-sdk/client-kinesis-video';
import { startHarness, START_MS, type Harness } from './support/emulator-harness';

const DEMO_STREAMS = ['backyard', 'front-door', 'garage', 'legacy-mjpeg', 'no-retention'];

describe('KVS emulator control plane (SDK v3 over HTTP)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('lists the demo streams with their retention and ARN', async () => {
    const { StreamInfoList } = await harness.kvs.send(new ListStreamsCommand({}));

    expect(StreamInfoList?.map((info) => info.StreamName)).toEqual(DEMO_STREAMS);
    const frontDoor = StreamInfoList?.find((info) => info.StreamName === 'front-door');
    expect(frontDoor?.Status).toBe('ACTIVE');
    expect(frontDoor?.DataRetentionInHours).toBe(24);
    expect(frontDoor?.StreamARN).toMatch(/^arn:aws:kinesisvideo:us-east-1:\d{12}:stream\/front-door\/\d+$/);
    expect(frontDoor?.CreationTime?.getTime()).toBe(START_MS - 24 * 3_600_000);
  });

  it('paginates ListStreams with MaxResults and NextToken', async () => {
    const first = await harness.kvs.send(new ListStreamsCommand({ MaxResults: 2 }));
    const second = await harness.kvs.send(
      new ListStreamsCommand({ MaxResults: 2, NextToken: first.NextToken }),
    );
    const third = await harness.kvs.send(
      new ListStreamsCommand({ MaxResults: 2, NextToken: second.NextToken }),
    );

    expect(first.StreamInfoList?.map((info) => info.StreamName)).toEqual(['backyard', 'front-door']);
    expect(second.StreamInfoList?.map((info) => info.StreamName)).toEqual(['garage', 'legacy-mjpeg']);
    expect(third.StreamInfoList?.map((info) => info.StreamName)).toEqual(['no-retention']);
    expect(third.NextToken).toBeUndefined();
  });

  it('filters ListStreams with a BEGINS_WITH StreamNameCondition', async () => {
    const { StreamInfoList } = await harness.kvs.send(
      new ListStreamsCommand({
        StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'g' },
      }),
    );

    expect(StreamInfoList?.map((info) => info.StreamName)).toEqual(['garage']);
  });

  it('describes a stream by name and by ARN', async () => {
    const byName = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'garage' }));
    const byArn = await harness.kvs.send(
      new DescribeStreamCommand({ StreamARN: byName.StreamInfo?.StreamARN }),
    );

    expect(byArn.StreamInfo).toEqual(byName.StreamInfo);
    expect(byName.StreamInfo?.MediaType).toBe('video/h264,audio/aac');
  });

  it('answers DescribeStream for an unknown stream with ResourceNotFoundException 404', async () => {
    await expect(harness.kvs.send(new DescribeStreamCommand({ StreamName: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The requested stream is not found or not active.',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('creates, describes and deletes a stream', async () => {
    const { StreamARN } = await harness.kvs.send(
      new CreateStreamCommand({
        StreamName: 'created-camera',
        DataRetentionInHours: 2,
        MediaType: 'video/h264',
      }),
    );
    const described = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'created-camera' }));
    await harness.kvs.send(
      new DeleteStreamCommand({ StreamARN, CurrentVersion: described.StreamInfo?.Version }),
    );

    expect(described.StreamInfo).toMatchObject({
      StreamARN,
      DataRetentionInHours: 2,
      MediaType: 'video/h264',
    });
    await expect(harness.kvs.send(new DescribeStreamCommand({ StreamARN }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses to create a stream that exists with ResourceInUseException', async () => {
    await expect(
      harness.kvs.send(new CreateStreamCommand({ StreamName: 'front-door' })),
    ).rejects.toMatchObject({
      name: 'ResourceInUseException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses DeleteStream with a stale CurrentVersion', async () => {
    const { StreamARN } = await harness.kvs.send(new CreateStreamCommand({ StreamName: 'versioned' }));

    await expect(
      harness.kvs.send(new DeleteStreamCommand({ StreamARN, CurrentVersion: 'not-the-version' })),
    ).rejects.toMatchObject({ name: 'VersionMismatchException', $metadata: { httpStatusCode: 400 } });
  });

  it('returns a data endpoint on the same port under its own path prefix', async () => {
    const { DataEndpoint } = await harness.kvs.send(
      new GetDataEndpointCommand({ StreamName: 'front-door', APIName: 'GET_HLS_STREAMING_SESSION_URL' }),
    );

    expect(DataEndpoint).toMatch(new RegExp(`^${harness.emulator.endpoint}/b-[0-9a-f]{8}$`));
  });

  it('rejects GetDataEndpoint without an APIName', async () => {
    await expect(
      harness.kvs.send(new GetDataEndpointCommand({ StreamName: 'backyard' } as never)),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });

  it('rejects GetDataEndpoint with an APIName outside the enum', async () => {
    await expect(
      harness.kvs.send(new GetDataEndpointCommand({ StreamName: 'backyard', APIName: 'PLAY' as APIName })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });

  it('answers every call with a request id and unknown paths with UnknownOperationException', async () => {
    const response = await fetch(`${harness.emulator.endpoint}/GetDataEndpoint`, {
      method: 'POST',
      body: '{}',
    });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toHaveProperty('Message');
  });
});
