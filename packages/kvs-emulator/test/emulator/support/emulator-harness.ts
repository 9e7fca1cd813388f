import { GetDataEndpointCommand, KinesisVideoClient, type APIName } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { Parser, type M3u8Manifest } from 'm3u8-parser';
import {
  createManualClock,
  startKvsEmulator,
  type EmulatorOptions,
  type ManualClock,
  type RunningEmulator,
} from '../../../src/index';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** The emulator starts at this instant; the demo archive reaches back from it. */
export const START_MS = Date.UTC(2026, 10, 25, 12, 0, 0);

export interface Harness {
  readonly emulator: RunningEmulator;
  readonly clock: ManualClock;
  readonly kvs: KinesisVideoClient;
  /** An archived-media client on the data endpoint GetDataEndpoint returns for the stream. */
  media(streamName: string, apiName?: APIName): Promise<KinesisVideoArchivedMediaClient>;
  stop(): Promise<void>;
}

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const clock = createManualClock(START_MS);
  const emulator = await startKvsEmulator({ port: 0, clock: clock.now, ...options });
  const clients: { destroy(): void }[] = [];
  const kvs = new KinesisVideoClient({
    region: REGION,
    endpoint: emulator.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  clients.push(kvs);
  return {
    emulator,
    clock,
    kvs,
    async media(streamName, apiName = 'GET_HLS_STREAMING_SESSION_URL') {
      const { DataEndpoint } = await kvs.send(
        new GetDataEndpointCommand({ StreamName: streamName, APIName: apiName }),
      );
      if (DataEndpoint === undefined) throw new Error(`GetDataEndpoint gave no endpoint for ${streamName}`);
      const client = new KinesisVideoArchivedMediaClient({
        region: REGION,
        endpoint: DataEndpoint,
        credentials: CREDENTIALS,
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await emulator.stop();
    },
  };
}

export async function fetchText(url: string | URL): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${String(url)} answered ${response.status}`);
  return response.text();
}

export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${String(url)} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export function parseM3u8(text: string): M3u8Manifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/** The media playlist of track `trackNumber` that a master playlist at `masterUrl` points to. */
export async function mediaPlaylistUrl(masterUrl: string, trackNumber = 1): Promise<URL> {
  const master = parseM3u8(await fetchText(masterUrl));
  const variant = master.playlists?.[0];
  if (!variant) throw new Error('master playlist without a variant');
  const url = new URL(variant.uri, masterUrl);
  url.searchParams.set('TrackNumber', String(trackNumber));
  return url;
}

/** A Date for the SDK, which sends it as epoch seconds. */
export const at = (ms: number): Date => new Date(ms);

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
