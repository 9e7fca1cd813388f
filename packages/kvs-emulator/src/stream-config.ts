import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where a stream's footage comes from: the committed fixture (with or without audio) or an MP4 file. */
export type StreamMedia = 'fixture' | 'fixture-video-only' | { readonly source: string };

/** One stream of the emulator, as written in `streams.json`. */
export interface StreamConfig {
  readonly name: string;
  readonly retentionHours: number;
  readonly media: StreamMedia;
  /** Reports track 1 with this codec id instead of the media's (e.g. `V_MJPEG` for an unsupported stream). */
  readonly codecId?: string;
  /** The producer stopped this many minutes before the emulator started; absent = still live. */
  readonly endedMinutesAgo?: number;
  /** The producer started this many minutes before the emulator started; default: as long ago as retention. */
  readonly startedMinutesAgo?: number;
  /** Every Nth fragment is ingested twice with the same producer timestamp (a producer retry); 0 = never. */
  readonly duplicateEvery?: number;
  readonly deviceName?: string;
}

/** The package's demo streams: one level up from `src/`, or from `lib/` in a build. */
export const DEFAULT_STREAMS_FILE = resolve(__dirname, '..', 'streams.json');

const NAME = /^[a-zA-Z0-9_.-]{1,256}$/;

/** A stream definition the emulator cannot serve: its message names the entry (`streams[<index>]: ...`). */
export class StreamConfigError extends Error {
  constructor(index: number, message: string) {
    super(`streams[${index}]: ${message}`);
    this.name = 'StreamConfigError';
  }
}

function fail(index: number, message: string): never {
  throw new StreamConfigError(index, message);
}

function optionalNonNegative(value: unknown, index: number, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(index, `${field} must be a non-negative number`);
  }
  return value;
}

function parseMedia(value: unknown, index: number, baseDir: string): StreamMedia {
  if (value === undefined || value === 'fixture') return 'fixture';
  if (value === 'fixture-video-only') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { source?: unknown }).source === 'string'
  ) {
    return { source: resolve(baseDir, (value as { source: string }).source) };
  }
  return fail(index, 'media must be "fixture", "fixture-video-only" or { "source": "/path/to/file.mp4" }');
}

/** Validates stream definitions (a parsed JSON array); relative media paths resolve against `baseDir`. */
export function parseStreamConfigs(input: unknown, baseDir = process.cwd()): StreamConfig[] {
  if (!Array.isArray(input)) throw new Error('streams must be a JSON array');
  const seen = new Set<string>();
  return input.map((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null) fail(index, 'must be an object');
    const record = raw as Record<string, unknown>;
    const name = record.name;
    if (typeof name !== 'string' || !NAME.test(name)) fail(index, 'name must match [a-zA-Z0-9_.-]{1,256}');
    if (seen.has(name)) fail(index, `duplicate stream name ${name}`);
    seen.add(name);
    const retentionHours = optionalNonNegative(record.retentionHours, index, 'retentionHours');
    if (retentionHours === undefined) fail(index, 'retentionHours is required');
    const codecId = record.codecId;
    if (codecId !== undefined && typeof codecId !== 'string') fail(index, 'codecId must be a string');
    const deviceName = record.deviceName;
    if (deviceName !== undefined && typeof deviceName !== 'string')
      fail(index, 'deviceName must be a string');
    const duplicateEvery = optionalNonNegative(record.duplicateEvery, index, 'duplicateEvery');
    if (duplicateEvery !== undefined && !Number.isInteger(duplicateEvery)) {
      fail(index, 'duplicateEvery must be an integer');
    }
    const endedMinutesAgo = optionalNonNegative(record.endedMinutesAgo, index, 'endedMinutesAgo');
    const startedMinutesAgo = optionalNonNegative(record.startedMinutesAgo, index, 'startedMinutesAgo');
    return {
      name,
      retentionHours,
      media: parseMedia(record.media, index, baseDir),
      ...(codecId === undefined ? {} : { codecId }),
      ...(endedMinutesAgo === undefined ? {} : { endedMinutesAgo }),
      ...(startedMinutesAgo === undefined ? {} : { startedMinutesAgo }),
      ...(duplicateEvery === undefined ? {} : { duplicateEvery }),
      ...(deviceName === undefined ? {} : { deviceName }),
    };
  });
}

export function loadStreamConfigs(path: string = DEFAULT_STREAMS_FILE): StreamConfig[] {
  const absolute = resolve(path);
  return parseStreamConfigs(JSON.parse(readFileSync(absolute, 'utf8')) as unknown, resolve(absolute, '..'));
}
