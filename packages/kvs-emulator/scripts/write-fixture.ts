/**
 * Cuts the fixture source (a progressive MP4 written by ffmpeg) into the committed fixture files with
 * the same code that loads a user's own MP4, so the fixture and user footage loop the same way.
 * Maintainers run it through `scripts/generate-media-fixtures.sh`; nothing at run time does.
 *
 * Usage, in the package folder: tsx scripts/write-fixture.ts <source.mp4> <output dir> <gop seconds> <user sample name>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFile, MP4BoxBuffer } from 'mp4box';
import { concatBytes } from '../src/media/mp4-boxes';
import { mp4BytesToClip } from '../src/media/mp4-file-clip';
import type { MediaClip } from '../src/media/types';

const pad = (i: number): string => String(i).padStart(3, '0');

/** Sum of the sample durations of a single-track fragment, in the track's timescale. */
function fragmentTicks(init: Uint8Array, fragment: Uint8Array): { tfdt: number; ticks: number } {
  const file = createFile();
  const bytes = concatBytes([init, fragment]);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.buffer, 0), true);
  file.flush();
  const trackId = file.getInfo().tracks[0]?.id ?? 1;
  const samples = file.getTrackSamplesInfo(trackId);
  const tfdt = Number(file.moofs[0]?.trafs[0]?.tfdt?.baseMediaDecodeTime ?? -1);
  return { tfdt, ticks: samples.reduce((sum, sample) => sum + sample.duration, 0) };
}

/** Every track's fragment lasts its video GOP to the tick and starts on it: the loop is seamless. */
function assertAligned(clip: MediaClip): void {
  let startMs = 0;
  clip.fragmentDurationsMs.forEach((durationMs, clipIndex) => {
    for (const track of clip.tracks) {
      const fragment = clip.mediaFragment({
        clipIndex,
        trackNumber: track.trackNumber,
        sequenceNumber: 1,
        startMs,
      });
      const { tfdt, ticks } = fragmentTicks(clip.initSegment(track.trackNumber), fragment);
      const expected = (durationMs * track.timescale) / 1000;
      const expectedStart = (startMs * track.timescale) / 1000;
      if (ticks !== expected || tfdt !== expectedStart) {
        throw new Error(
          `Track ${track.trackNumber} fragment ${clipIndex} spans ${tfdt}+${ticks} ticks, not ${expectedStart}+${expected}: ` +
            'pick an audio sample rate at which a GOP holds a whole number of 1024-sample frames',
        );
      }
    }
    startMs += durationMs;
  });
}

function main(): void {
  const [source, out, gopSeconds, userSample] = process.argv.slice(2);
  if (!source || !out || !gopSeconds || !userSample) {
    throw new Error('usage: write-fixture.ts <source.mp4> <output dir> <gop seconds> <user sample name>');
  }
  const clip = mp4BytesToClip(new Uint8Array(readFileSync(source)), source);
  assertAligned(clip);
  const names = { video: [] as string[], audio: [] as string[], ts: [] as string[] };
  let startMs = 0;
  clip.fragmentDurationsMs.forEach((durationMs, clipIndex) => {
    for (const track of clip.tracks) {
      const name = `${track.kind}-${pad(clipIndex)}.m4s`;
      const sequenceNumber = clipIndex + 1;
      writeFileSync(
        join(out, name),
        clip.mediaFragment({ clipIndex, trackNumber: track.trackNumber, sequenceNumber, startMs }),
      );
      names[track.kind].push(name);
    }
    // Named .mpegts: .ts would pass for TypeScript.
    const tsName = `segment-${pad(clipIndex)}.mpegts`;
    writeFileSync(join(out, tsName), clip.tsFragment({ clipIndex, startMs }));
    names.ts.push(tsName);
    startMs += durationMs;
  });
  for (const track of clip.tracks) {
    writeFileSync(join(out, `${track.kind}-init.mp4`), clip.initSegment(track.trackNumber));
  }
  const manifest = {
    description:
      'Synthetic test clip for the local KVS emulator; regenerate with scripts/generate-media-fixtures.sh',
    gopSeconds: Number(gopSeconds),
    fragmentDurationsMs: clip.fragmentDurationsMs,
    // Checked above: every audio fragment lasts exactly as long as its GOP.
    audioFragmentDurationsMs: clip.tracks.some((t) => t.kind === 'audio') ? clip.fragmentDurationsMs : [],
    bandwidth: clip.bandwidth,
    tracks: clip.tracks.map((track) => ({
      ...track,
      init: `${track.kind}-init.mp4`,
      fragments: names[track.kind],
    })),
    tsSegments: names.ts,
    userSample,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

main();
