/**
 * The committed fixture clip (`fixtures/` of this package, written by
 * `scripts/generate-media-fixtures.sh`) as a MediaClip. Files are read once, synchronously.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createFragmentedClip } from './fragmented-clip';
import { filterTsToVideo } from './mpeg-ts-rewriter';
import type { MediaClip, TrackInfo } from './types';

/** The package's `fixtures/` folder: two levels up from `src/media/`, or from `lib/media/` in a build. */
export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');

export interface FixtureTrackManifest extends TrackInfo {
  readonly init: string;
  readonly fragments: readonly string[];
}

export interface FixtureManifest {
  readonly gopSeconds: number;
  readonly fragmentDurationsMs: readonly number[];
  readonly audioFragmentDurationsMs: readonly number[];
  readonly bandwidth: number;
  readonly tracks: readonly FixtureTrackManifest[];
  readonly tsSegments: readonly string[];
  /** A small progressive MP4 (B-frames, 1 s GOPs) standing in for a user's own footage. */
  readonly userSample: string;
  /** JPEG stills of the video for GetImages, one every `intervalMs` from the clip's start. */
  readonly stills?: {
    readonly intervalMs: number;
    readonly width: number;
    readonly height: number;
    readonly files: readonly string[];
  };
}

let manifestCache: FixtureManifest | undefined;
const clipCache = new Map<boolean, MediaClip>();

export function readFixtureManifest(): FixtureManifest {
  manifestCache ??= parseManifest(JSON.parse(readFileSync(join(FIXTURES_DIR, 'manifest.json'), 'utf8')));
  return manifestCache;
}

export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, name);
}

/**
 * The fixture clip: H.264 video (track 1) and AAC audio (track 2), or video only with
 * `audio: false` (for a stream like `backyard`). The same instance is returned on every call.
 */
export function loadFixtureClip(options: { audio?: boolean } = {}): MediaClip {
  const audio = options.audio ?? true;
  const cached = clipCache.get(audio);
  if (cached) return cached;
  const manifest = readFixtureManifest();
  const read = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));
  const tracks = manifest.tracks
    .filter((track) => audio || track.kind === 'video')
    .map(({ init, fragments, ...info }) => ({
      info,
      init: read(init),
      fragments: fragments.map(read),
    }));
  const tsSegments = manifest.tsSegments.map(read);
  const { stills } = manifest;
  const clip = createFragmentedClip({
    tracks,
    fragmentDurationsMs: manifest.fragmentDurationsMs,
    bandwidth: manifest.bandwidth,
    // The committed TS segments hold both tracks; a video-only stream gets its audio dropped.
    tsSegments: audio ? tsSegments : tsSegments.map(filterTsToVideo),
    ...(stills === undefined
      ? {}
      : {
          stills: {
            intervalMs: stills.intervalMs,
            width: stills.width,
            height: stills.height,
            jpegs: stills.files.map(read),
          },
        }),
  });
  clipCache.set(audio, clip);
  return clip;
}

const positive = z.number().positive();
const manifestSchema = z.object({
  gopSeconds: positive,
  fragmentDurationsMs: z.array(positive).min(1),
  audioFragmentDurationsMs: z.array(positive),
  bandwidth: positive,
  tracks: z
    .array(
      z.object({
        trackNumber: z.number().int().min(1),
        kind: z.enum(['video', 'audio']),
        codecId: z.string(),
        codecs: z.string(),
        timescale: z.number().int().positive(),
        width: positive.exactOptional(),
        height: positive.exactOptional(),
        frameRate: positive.exactOptional(),
        sampleRate: positive.exactOptional(),
        channels: positive.exactOptional(),
        init: z.string(),
        fragments: z.array(z.string()),
      }),
    )
    .min(1),
  tsSegments: z.array(z.string()),
  userSample: z.string(),
  stills: z
    .object({
      intervalMs: z.number().int().positive(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      files: z.array(z.string()).min(1),
    })
    .exactOptional(),
});

function parseManifest(value: unknown): FixtureManifest {
  const parsed = manifestSchema.safeParse(value);
  const count = parsed.data?.fragmentDurationsMs.length;
  if (
    !parsed.success ||
    parsed.data.tsSegments.length !== count ||
    parsed.data.tracks.some((t) => t.fragments.length !== count)
  ) {
    throw new Error('fixtures/manifest.json is malformed; rerun scripts/generate-media-fixtures.sh');
  }
  return parsed.data;
}
