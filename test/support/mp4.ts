import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createFile, MP4BoxBuffer } from 'mp4box';

export interface Mp4Track {
  readonly id: number;
  readonly codec: string;
  readonly timescale: number;
  readonly samples: number;
}

export interface Mp4Report {
  /** mp4box's parse errors: none for a file players read. */
  readonly errors: readonly string[];
  readonly fragmented: boolean;
  /** The movie's fragment duration (`mehd`), seconds; undefined without one. */
  readonly fragmentDurationSeconds?: number;
  readonly tracks: readonly Mp4Track[];
  /** `mfhd` sequence numbers in file order. */
  readonly sequenceNumbers: readonly number[];
  /** Per video fragment: its first decode time and its length, in seconds. */
  readonly videoFragments: readonly { readonly start: number; readonly duration: number }[];
  /** Sum of the video samples' durations, seconds. */
  readonly videoSeconds: number;
}

interface MoofLike {
  mfhd: { sequence_number: number };
  trafs: {
    tfhd: { track_id: number; default_sample_duration?: number };
    tfdt: { baseMediaDecodeTime: number | bigint };
    truns: { sample_count: number; sample_duration: number[] }[];
  }[];
}

/** Reads MP4 bytes with mp4box (GPAC's MP4 parser, as players of the web use it). */
export function inspectMp4(bytes: Uint8Array): Mp4Report {
  const file = createFile();
  const errors: string[] = [];
  file.onError = (module, message) => errors.push(`${module}: ${message}`);
  const copy = bytes.slice();
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy.buffer, 0), true);
  file.flush();
  const info = file.getInfo();
  const video = info.videoTracks[0];
  const moofs = (file as unknown as { moofs: MoofLike[] }).moofs;
  const videoFragments = video
    ? moofs.flatMap((moof) =>
        moof.trafs
          .filter((traf) => traf.tfhd.track_id === video.id)
          .map((traf) => ({
            start: Number(traf.tfdt.baseMediaDecodeTime) / video.timescale,
            duration:
              traf.truns.reduce(
                (sum, trun) =>
                  sum +
                  (trun.sample_duration.length > 0
                    ? trun.sample_duration.reduce((a, b) => a + b, 0)
                    : trun.sample_count * (traf.tfhd.default_sample_duration ?? 0)),
                0,
              ) / video.timescale,
          })),
      )
    : [];
  const fragmentDuration = info.fragment_duration as { num: number; den: number } | number | undefined;
  return {
    errors,
    fragmented: info.isFragmented,
    ...(typeof fragmentDuration === 'object' && fragmentDuration.den > 0
      ? { fragmentDurationSeconds: fragmentDuration.num / fragmentDuration.den }
      : {}),
    tracks: info.tracks.map((track) => ({
      id: track.id,
      codec: track.codec,
      timescale: track.timescale,
      samples: track.nb_samples,
    })),
    sequenceNumbers: moofs.map((moof) => moof.mfhd.sequence_number),
    videoFragments,
    videoSeconds: videoFragments.reduce((sum, fragment) => sum + fragment.duration, 0),
  };
}

const FFPROBE = '/usr/bin/ffprobe';

export interface FfprobeReport {
  readonly durationSeconds: number;
  readonly videoCodec: string;
  /** Video frames ffprobe decoded (`-count_frames`). */
  readonly videoFrames: number;
}

/**
 * What ffprobe, where it is installed, makes of the file (decoding every video frame): a second opinion
 * beside mp4box. Undefined where ffprobe is absent: the tests never require it.
 */
export async function ffprobe(bytes: Uint8Array): Promise<FfprobeReport | undefined> {
  if (!existsSync(FFPROBE)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ffprobe-'));
  try {
    const file = join(dir, 'clip.mp4');
    writeFileSync(file, bytes);
    const { stdout } = await promisify(execFile)(FFPROBE, [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'format=duration:stream=codec_name,nb_read_frames',
      '-of',
      'json',
      file,
    ]);
    const parsed = JSON.parse(stdout) as {
      format: { duration: string };
      streams: { codec_name: string; nb_read_frames: string }[];
    };
    return {
      durationSeconds: Number(parsed.format.duration),
      videoCodec: parsed.streams[0]?.codec_name ?? '',
      videoFrames: Number(parsed.streams[0]?.nb_read_frames ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
