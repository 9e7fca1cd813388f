/**
 * Records the stills that `generate-media-fixtures.sh` rendered (`still-NNN.jpg`, one every
 * `intervalMs` of the clip from its start) in `manifest.json`, after checking that they cover the clip
 * exactly and have the video track's size. Maintainers run it through the script; nothing at run time
 * does.
 *
 * Usage, in the package folder: tsx scripts/write-stills-manifest.ts <fixtures dir> <interval ms>
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'jpeg-js';

function main(): void {
  const [out, interval] = process.argv.slice(2);
  const intervalMs = Number(interval);
  if (!out || !Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new Error('usage: write-stills-manifest.ts <fixtures dir> <interval ms>');
  }
  const manifestPath = join(out, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    fragmentDurationsMs: number[];
    tracks: { kind: string; width?: number; height?: number }[];
    stills?: unknown;
  };
  const video = manifest.tracks.find((track) => track.kind === 'video');
  if (video?.width === undefined || video.height === undefined) {
    throw new Error('the manifest has no video track with a size');
  }
  const files = readdirSync(out)
    .filter((name) => /^still-\d{3}\.jpg$/.test(name))
    .sort();
  const clipMs = manifest.fragmentDurationsMs.reduce((sum, ms) => sum + ms, 0);
  if (files.length !== Math.ceil(clipMs / intervalMs)) {
    throw new Error(`${files.length} stills for a ${clipMs} ms clip at one every ${intervalMs} ms`);
  }
  for (const name of files) {
    const { width, height } = decode(readFileSync(join(out, name)), { useTArray: true });
    if (width !== video.width || height !== video.height) {
      throw new Error(`${name} is ${width}x${height}, the video ${video.width}x${video.height}`);
    }
  }
  manifest.stills = { intervalMs, width: video.width, height: video.height, files };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

main();
