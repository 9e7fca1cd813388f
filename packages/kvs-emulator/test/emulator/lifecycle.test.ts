import { GetDataEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { request } from 'node:http';
import { startHarness } from './support/emulator-harness';

const timers = (): number => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;

/** Yields to the event loop until `done` holds, a bounded number of times (no wall-clock waits). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !done(); turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error('condition never held');
}

describe('KVS emulator lifecycle', () => {
  it('stops promptly during an injected delay and leaves no timer behind', async () => {
    const harness = await startHarness({
      streams: [{ name: 'front-door', retentionHours: 1, media: 'fixture' }],
      faults: { latencyMs: { GetHLSMasterPlaylist: 3_600_000 } },
    });
    const { emulator } = harness;
    const { DataEndpoint } = await harness.kvs.send(
      new GetDataEndpointCommand({ StreamName: 'front-door', APIName: 'GET_HLS_STREAMING_SESSION_URL' }),
    );
    harness.kvs.destroy();
    const timersBefore = timers();
    // Plain node:http: fetch would add timers of its own to the count.
    const outcome = new Promise<string>((resolve) => {
      const req = request(
        `${DataEndpoint!}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x`,
        { agent: false },
        (response) => {
          response.resume();
          resolve(`answered ${response.statusCode ?? 0}`);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`dropped ${error.code ?? error.message}`));
      req.end();
    });
    await until(() => (emulator.counters().GetHLSMasterPlaylist ?? 0) > 0);
    const timersDuringDelay = timers();

    await emulator.stop();
    const result = await outcome;

    expect(timersDuringDelay).toBeGreaterThan(timersBefore);
    expect(result).toMatch(/^(answered|dropped)/);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });
});
