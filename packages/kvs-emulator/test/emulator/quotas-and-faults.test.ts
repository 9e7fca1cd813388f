import { GetDataEndpointCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { startHarness, type Harness } from './support/emulator-harness';

const getDataEndpoint = (harness: Harness, streamName: string) =>
  harness.kvs.send(
    new GetDataEndpointCommand({ StreamName: streamName, APIName: 'GET_HLS_STREAMING_SESSION_URL' }),
  );

/** Runs calls one after another and reports which succeeded and how the others failed. */
async function outcomes(calls: number, call: () => Promise<unknown>): Promise<string[]> {
  const results: string[] = [];
  for (let index = 0; index < calls; index += 1) {
    try {
      await call();
      results.push('ok');
    } catch (error) {
      results.push((error as Error).name);
    }
  }
  return results;
}

describe('KVS emulator quotas', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({ quotas: { getDataEndpointPerAccount: 8 } });
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('throttles the 6th GetDataEndpoint of a stream within one second and refills with the clock', async () => {
    const firstSecond = await outcomes(6, () => getDataEndpoint(harness, 'front-door'));
    harness.clock.advance(200);
    const oneTokenLater = await outcomes(2, () => getDataEndpoint(harness, 'front-door'));

    expect(firstSecond).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ClientLimitExceededException']);
    expect(oneTokenLater).toEqual(['ok', 'ClientLimitExceededException']);
  });

  it('answers throttling with status 400', async () => {
    await outcomes(5, () => getDataEndpoint(harness, 'backyard'));

    await expect(getDataEndpoint(harness, 'backyard')).rejects.toMatchObject({
      name: 'ClientLimitExceededException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('throttles GetDataEndpoint per account across streams', async () => {
    const frontDoor = await outcomes(5, () => getDataEndpoint(harness, 'front-door'));
    const backyard = await outcomes(4, () => getDataEndpoint(harness, 'backyard'));

    expect(frontDoor).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(backyard).toEqual(['ok', 'ok', 'ok', 'ClientLimitExceededException']);
  });

  it('throttles the 26th session URL of a stream within one second', async () => {
    const media = await harness.media('front-door');

    const results = await outcomes(26, () =>
      media.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' })),
    );

    expect(results.filter((result) => result === 'ok')).toHaveLength(25);
    expect(results[25]).toBe('ClientLimitExceededException');
  });

  it('throttles the 6th playlist request of a session within one second', async () => {
    const media = await harness.media('front-door');
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' }),
    );

    const statuses: number[] = [];
    for (let index = 0; index < 6; index += 1) statuses.push((await fetch(HLSStreamingSessionURL!)).status);

    expect(statuses).toEqual([200, 200, 200, 200, 200, 400]);
  });
});

describe('KVS emulator faults, counters and endpoint rotation', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;
  const admin = (path: string, init?: RequestInit) =>
    fetch(`${harness.emulator.endpoint}/_admin/${path}`, init);

  beforeEach(async () => {
    harness = await startHarness({ quotas: { sessionUrlPerStream: 1000, getDataEndpointPerStream: 1000 } });
    media = await harness.media('front-door');
  });

  afterEach(async () => {
    await harness.stop();
  });

  it.each([
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
    ['ClientLimitExceeded', 400],
  ] as const)('injects %s on every call of an operation at error rate 1', async (error, status) => {
    harness.emulator.setFaults({ errorRate: { GetHLSStreamingSessionURL: { rate: 1, error } } });

    await expect(
      media.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: status } });
    await expect(harness.kvs.send(new ListStreamsCommand({}))).resolves.toBeDefined();
  });

  it('repeats the same failures for the same seed', async () => {
    const run = async () => {
      harness.emulator.setFaults({
        seed: 42,
        errorRate: { ListStreams: { rate: 0.5, error: 'InternalFailure' } },
      });
      return outcomes(20, () => harness.kvs.send(new ListStreamsCommand({})));
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('InternalFailure');
  });

  it('throttles a burst set through PUT /_admin/faults, then recovers', async () => {
    const put = await admin('faults', {
      method: 'PUT',
      body: JSON.stringify({ throttleBursts: { GetDataEndpoint: 2 } }),
    });

    const results = await outcomes(3, () => getDataEndpoint(harness, 'backyard'));
    const current = (await (await admin('faults')).json()) as { throttleBursts: Record<string, number> };

    expect(put.status).toBe(200);
    expect(results).toEqual(['ClientLimitExceededException', 'ClientLimitExceededException', 'ok']);
    expect(current.throttleBursts).toEqual({ GetDataEndpoint: 0 });
  });

  it('clears every fault with DELETE /_admin/faults', async () => {
    await admin('faults', {
      method: 'PUT',
      body: JSON.stringify({
        throttleBursts: { GetDataEndpoint: 5 },
        errorRate: { ListStreams: { rate: 1, error: 'InternalFailure' } },
      }),
    });

    const cleared = await admin('faults', { method: 'DELETE' });
    const current = await (await admin('faults')).json();
    const results = [
      ...(await outcomes(2, () => getDataEndpoint(harness, 'backyard'))),
      ...(await outcomes(1, () => harness.kvs.send(new ListStreamsCommand({})))),
    ];

    expect(cleared.status).toBe(204);
    expect(current).toEqual({ throttleBursts: {} });
    expect(results).toEqual(['ok', 'ok', 'ok']);
  });

  it.each([
    [
      { errorRate: { ListStreams: { rate: 2, error: 'InternalFailure' } } },
      'errorRate.ListStreams.rate must be a number from 0 to 1',
    ],
    [
      { errorRate: { ListStreams: { rate: '0.5', error: 'InternalFailure' } } },
      'errorRate.ListStreams.rate must be a number from 0 to 1',
    ],
    [
      { errorRate: { ListStreams: { rate: 0.5, error: 'Boom' } } },
      'errorRate.ListStreams.error must be one of InternalFailure, ServiceUnavailable, ClientLimitExceeded',
    ],
    [{ latencyMs: { ListStreams: 'slow' } }, 'latencyMs.ListStreams must be a number'],
    [{ latencyMs: { ListStreams: null } }, 'latencyMs.ListStreams must be a number'],
    [{ latencyMs: { ListStreams: -1 } }, 'latencyMs.ListStreams must be >= 0'],
    [{ throttleBursts: { ListStreams: '3' } }, 'throttleBursts.ListStreams must be a non-negative integer'],
  ])('refuses the fault configuration %j with 400 and says why', async (faults, message) => {
    const response = await admin('faults', { method: 'PUT', body: JSON.stringify(faults) });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message });
  });

  it('delays an operation by the injected latency', async () => {
    harness.emulator.setFaults({ latencyMs: { ListStreams: 120 } });

    const started = process.hrtime.bigint();
    await harness.kvs.send(new ListStreamsCommand({}));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

    expect(elapsedMs).toBeGreaterThanOrEqual(100);
  });

  it('counts calls per operation and resets the counters', async () => {
    harness.emulator.resetCounters();
    await harness.kvs.send(new ListStreamsCommand({}));
    await harness.kvs.send(new ListStreamsCommand({}));
    await getDataEndpoint(harness, 'front-door');
    await expect(getDataEndpoint(harness, 'nope')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });

    const counted = (await (await admin('counters')).json()) as Record<string, number>;
    const reset = await admin('counters', { method: 'DELETE' });

    expect(counted).toEqual({
      ListStreams: 2,
      GetDataEndpoint: 2,
      'GetDataEndpoint:ResourceNotFoundException': 1,
    });
    expect(harness.emulator.counters()).toEqual({});
    expect(reset.status).toBe(204);
  });

  it('retires data endpoints on rotation: API calls on them fail, sessions keep playing', async () => {
    const { HLSStreamingSessionURL } = await media.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' }),
    );
    const before = await getDataEndpoint(harness, 'front-door');

    const rotated = await admin('rotate-endpoints', { method: 'POST' });
    const after = await getDataEndpoint(harness, 'front-door');
    const failure = await media.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' })).then(
      () => undefined,
      (error: unknown) => error as { $metadata?: { httpStatusCode?: number } },
    );
    const fresh = await harness.media('front-door');

    expect(rotated.status).toBe(204);
    expect(after.DataEndpoint).not.toBe(before.DataEndpoint);
    expect(failure).toBeDefined();
    expect(failure?.$metadata?.httpStatusCode).toBeUndefined();
    await expect(
      fresh.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'front-door' })),
    ).resolves.toHaveProperty('HLSStreamingSessionURL');
    expect((await fetch(HLSStreamingSessionURL!)).status).toBe(200);
  });
});
