import { createHash } from 'node:crypto';
import type { MediaClip, TrackInfo } from './media/types';
import type { StreamConfig, StreamMedia } from './stream-config';
import { Timeline } from './timeline';

export const ACCOUNT_ID = '123456789012';

/** Produces the clip behind a stream's media setting. */
export type MediaLoader = (media: StreamMedia) => Promise<MediaClip>;

export interface EmulatedStream {
  readonly name: string;
  readonly arn: string;
  readonly createdMs: number;
  readonly retentionHours: number;
  readonly deviceName?: string;
  readonly mediaType?: string;
  readonly kmsKeyId: string;
  readonly version: string;
  /** Tracks as the stream reports them (codec overrides applied); empty when nothing was ever ingested. */
  readonly tracks: readonly TrackInfo[];
  /** Absent for a stream created through the API: no producer ever sends to it. */
  readonly clip?: MediaClip;
  readonly timeline?: Timeline;
}

export function streamArn(region: string, name: string, createdMs: number): string {
  return `arn:aws:kinesisvideo:${region}:${ACCOUNT_ID}:stream/${name}/${createdMs}`;
}

function fragmentNumberBase(name: string): bigint {
  const digits = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 12)}`) % 1_000_000n;
  return BigInt(`91343852333${digits.toString().padStart(6, '0')}00000000`);
}

function versionOf(name: string, createdMs: number): string {
  return createHash('sha256').update(`${name}/${createdMs}`).digest('hex').slice(0, 20);
}

const MINUTE_MS = 60_000;

/** Builds a configured stream whose producer has been sending since before `startupMs`. */
export function configuredStream(
  config: StreamConfig,
  clip: MediaClip,
  region: string,
  startupMs: number,
): EmulatedStream {
  const retentionMs = config.retentionHours * 60 * MINUTE_MS;
  const endMs =
    config.endedMinutesAgo === undefined ? undefined : startupMs - config.endedMinutesAgo * MINUTE_MS;
  const originMs =
    config.startedMinutesAgo === undefined
      ? (endMs ?? startupMs) - retentionMs
      : startupMs - config.startedMinutesAgo * MINUTE_MS;
  const tracks = clip.tracks.map((track) =>
    track.trackNumber === 1 && config.codecId !== undefined ? { ...track, codecId: config.codecId } : track,
  );
  return {
    name: config.name,
    arn: streamArn(region, config.name, originMs),
    createdMs: originMs,
    retentionHours: config.retentionHours,
    ...(config.deviceName === undefined ? {} : { deviceName: config.deviceName }),
    mediaType: tracks.some((t) => t.kind === 'audio') ? 'video/h264,audio/aac' : 'video/h264',
    kmsKeyId: `arn:aws:kms:${region}:${ACCOUNT_ID}:alias/aws/kinesisvideo`,
    version: versionOf(config.name, originMs),
    tracks,
    clip,
    timeline: new Timeline({
      originMs,
      ...(endMs === undefined ? {} : { endMs }),
      retentionMs,
      durationsMs: clip.fragmentDurationsMs,
      duplicateEvery: config.duplicateEvery ?? 0,
      fragmentNumberBase: fragmentNumberBase(config.name),
    }),
  };
}

/** A stream created through CreateStream: active, but nothing has been ingested. */
export function createdStream(
  input: { name: string; retentionHours: number; deviceName?: string; mediaType?: string; kmsKeyId?: string },
  region: string,
  createdMs: number,
): EmulatedStream {
  return {
    name: input.name,
    arn: streamArn(region, input.name, createdMs),
    createdMs,
    retentionHours: input.retentionHours,
    ...(input.deviceName === undefined ? {} : { deviceName: input.deviceName }),
    ...(input.mediaType === undefined ? {} : { mediaType: input.mediaType }),
    kmsKeyId: input.kmsKeyId ?? `arn:aws:kms:${region}:${ACCOUNT_ID}:alias/aws/kinesisvideo`,
    version: versionOf(input.name, createdMs),
    tracks: [],
  };
}
