/**
 * How long the emulator takes to answer its heavy calls, side by side in one run: GetClip at the
 * service's 200-fragment limit, and pages of 25 GetImages at a few sizes and formats, each asked twice
 * (the second time from the image cache). Absolute times depend on the machine; the ratios are the
 * point. Over HTTP with the real SDK client, as a caller sees it.
 *
 * Beside each call: the longest the event loop of this process (where the emulator runs, as in `npm start`
 * beside the local API) was kept from running anything else while the call ran. A call that keeps the loop
 * responsive shows a few milliseconds however long it takes.
 *
 * Usage, in the package folder: npx tsx scripts/bench-media-calls.ts
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignatureV4 } from '@smithy/signature-v4';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetImagesCommand,
  KinesisVideoArchivedMediaClient,
  type GetImagesCommandInput,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { createManualClock, startKvsEmulator } from '../src/index';

const START_MS = Date.UTC(2026, 10, 25, 12, 0, 0);

/**
 * Runs `run` while a 5 ms interval timer notes the longest gap between its ticks (and to the end of the
 * call): how long the event loop was kept from running anything else.
 */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; blockedMs: number; value: T }> {
  const TICK_MS = 5;
  let last = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, TICK_MS);
  const started = performance.now();
  try {
    const value = await run();
    const ended = performance.now();
    longestGap = Math.max(longestGap, ended - last);
    return { ms: ended - started, blockedMs: Math.max(0, longestGap - TICK_MS), value };
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The same GetImages call, signed and sent without the SDK, whose answer is counted as it streams in but
 * never parsed: the loop figure is then the emulator's alone. (The SDK rows include this process parsing
 * answers of up to 50 MB, which in `npm start` happens in the function's own worker threads.)
 */
async function rawGetImages(dataEndpoint: string, input: Record<string, unknown>): Promise<number> {
  const url = new URL(`${dataEndpoint}/getImages`);
  const body = JSON.stringify(input);
  const signed = await new SignatureV4({
    service: 'kinesisvideo',
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    sha256: Sha256,
  }).sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  if (response.status !== 200 || !response.body) throw new Error(`GetImages answered ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Uint8Array).length;
  return bytes;
}

class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const blocked = (first: { blockedMs: number }, again: { blockedMs: number }): string =>
  `${first.blockedMs.toFixed(0)} / ${again.blockedMs.toFixed(0)}`;

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
  const rows: string[][] = [
    ['call', 'first (ms)', 'again (ms)', 'loop blocked, first / again (ms)', 'answer'],
  ];
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
      blocked(clipFirst, clipAgain),
      `${(clipFirst.value / 1e6).toFixed(1)} MB`,
    ]);

    const cases: [string, Partial<GetImagesCommandInput>][] = [
      ['GetImages, 25 JPEG 160x90', { Format: 'JPEG', WidthPixels: 160, HeightPixels: 90 }],
      ['GetImages, 25 JPEG 480x270 (stream size)', { Format: 'JPEG' }],
      ['GetImages, 25 PNG 480x270', { Format: 'PNG' }],
      ['GetImages, 25 JPEG 1280x720', { Format: 'JPEG', WidthPixels: 1280, HeightPixels: 720 }],
      ['GetImages, 25 PNG 3840x2160 (largest)', { Format: 'PNG', WidthPixels: 3840, HeightPixels: 2160 }],
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
          .then((answer) =>
            (answer.Images ?? []).reduce((total, image) => total + (image.ImageContent?.length ?? 0), 0),
          );
      const first = await timed(page);
      const again = await timed(page);
      rows.push([
        name,
        first.ms.toFixed(0),
        again.ms.toFixed(0),
        blocked(first, again),
        `${(first.value / 1e3).toFixed(0)} KB of base64`,
      ]);
    }
    // A fresh emulator would be needed for a first call without the cache: ask for another page instead.
    const rawInput = {
      StreamName: 'front-door',
      ImageSelectorType: 'PRODUCER_TIMESTAMP',
      StartTimestamp: (START_MS - 900_000) / 1000,
      EndTimestamp: (START_MS - 876_000) / 1000,
      SamplingInterval: 1000,
      Format: 'PNG',
      WidthPixels: 3840,
      HeightPixels: 2064,
    };
    const rawFirst = await timed(() => rawGetImages(DataEndpoint, rawInput));
    const rawAgain = await timed(() => rawGetImages(DataEndpoint, rawInput));
    rows.push([
      'GetImages, 25 PNG 3840x2064, answer not parsed',
      rawFirst.ms.toFixed(0),
      rawAgain.ms.toFixed(0),
      blocked(rawFirst, rawAgain),
      `${(rawFirst.value / 1e3).toFixed(0)} KB of JSON`,
    ]);
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
