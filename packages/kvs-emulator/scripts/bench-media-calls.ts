/**
 * How long the emulator takes to answer its heavy calls, side by side in one run: GetClip at the
 * service's 200-fragment limit, and pages of 25 GetImages at a few sizes and formats, each asked twice
 * (the second time from the image cache). Absolute times depend on the machine; the ratios are the
 * point. Over HTTP with the real SDK client, as a caller sees it.
 *
 * Usage, in the package folder: npx tsx scripts/bench-media-calls.ts
 */
import { performance } from 'node:perf_hooks';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetImagesCommand,
  KinesisVideoArchivedMediaClient,
  type GetImagesCommandInput,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { createManualClock, startKvsEmulator } from '../src/index';

const START_MS = Date.UTC(2026, 10, 25, 12, 0, 0);

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const clock = createManualClock(START_MS);
  const emulator = await startKvsEmulator({
    port: 0,
    clock: clock.now,
    quotas: { getImagesPerStream: 1e6, mediaApiPerStream: 1e6 },
    streams: [{ name: 'front-door', retentionHours: 24, media: 'fixture' }],
  });
  const kvs = new KinesisVideoClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: emulator.credentials,
  });
  const { DataEndpoint } = await kvs.send(
    new GetDataEndpointCommand({ StreamName: 'front-door', APIName: 'GET_IMAGES' }),
  );
  if (DataEndpoint === undefined) throw new Error('GetDataEndpoint answered no endpoint');
  const media = new KinesisVideoArchivedMediaClient({
    endpoint: DataEndpoint,
    region: 'us-east-1',
    credentials: emulator.credentials,
  });
  const rows: string[][] = [['call', 'first (ms)', 'again (ms)', 'answer']];
  try {
    const clip = () =>
      media
        .send(
          new GetClipCommand({
            StreamName: 'front-door',
            ClipFragmentSelector: {
              FragmentSelectorType: 'PRODUCER_TIMESTAMP',
              TimestampRange: {
                StartTimestamp: new Date(START_MS - 3_600_000),
                EndTimestamp: new Date(START_MS - 3_000_000),
              },
            },
          }),
        )
        .then(async (answer) => (await answer.Payload!.transformToByteArray()).length);
    const clipFirst = await timed(clip);
    const clipAgain = await timed(clip);
    rows.push([
      'GetClip, 200 fragments (400 s)',
      clipFirst.ms.toFixed(0),
      clipAgain.ms.toFixed(0),
      `${(clipFirst.value / 1e6).toFixed(1)} MB`,
    ]);

    const cases: [string, Partial<GetImagesCommandInput>][] = [
      ['GetImages, 25 JPEG 160x90', { Format: 'JPEG', WidthPixels: 160, HeightPixels: 90 }],
      ['GetImages, 25 JPEG 480x270 (stream size)', { Format: 'JPEG' }],
      ['GetImages, 25 PNG 480x270', { Format: 'PNG' }],
      ['GetImages, 25 JPEG 1280x720', { Format: 'JPEG', WidthPixels: 1280, HeightPixels: 720 }],
    ];
    for (const [name, input] of cases) {
      // 25 images a second apart: the ten stills of the clip, each 2 or 3 times.
      const page = () =>
        media
          .send(
            new GetImagesCommand({
              StreamName: 'front-door',
              ImageSelectorType: 'PRODUCER_TIMESTAMP',
              StartTimestamp: new Date(START_MS - 600_000),
              EndTimestamp: new Date(START_MS - 576_000),
              SamplingInterval: 1000,
              ...input,
            } as GetImagesCommandInput),
          )
          .then((answer) => JSON.stringify(answer.Images).length);
      const first = await timed(page);
      const again = await timed(page);
      rows.push([
        name,
        first.ms.toFixed(0),
        again.ms.toFixed(0),
        `${(first.value / 1e3).toFixed(0)} KB of JSON`,
      ]);
    }
  } finally {
    kvs.destroy();
    media.destroy();
    await emulator.stop();
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')}\n`);
  }
}

void main();
