/**
 * A user's own H.264 (+ AAC) MP4 file (progressive or fragmented) as a MediaClip, without ffmpeg:
 * `mp4box` parses the file and lists the samples; fragments are cut at video sync samples and
 * written here (per-track init + moof/mdat, and MPEG-TS with Annex B video and ADTS audio).
 */
import { readFile } from 'node:fs/promises';
import { createFile, MP4BoxBuffer, type Sample, type Track } from 'mp4box';
import { createFragmentedClip, type TrackFragments } from './fragmented-clip';
import {
  boxBytes,
  childBoxes,
  concatBytes,
  packUints,
  readBoxes,
  requireBox,
  viewOf,
  writeBox,
  writeFullBox,
} from './mp4-boxes';
import { muxTsSegment, type TsAudioSample, type TsVideoSample } from './mpeg-ts-muxer';
import type { MediaClip, TrackInfo } from './types';

const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
const TS_CLOCK = 90_000;

export async function loadMp4FileClip(path: string): Promise<MediaClip> {
  const bytes = new Uint8Array(await readFile(path));
  return mp4BytesToClip(bytes, path);
}

/** The same as `loadMp4FileClip`, from bytes already in memory. */
export function mp4BytesToClip(bytes: Uint8Array, name = 'MP4 input'): MediaClip {
  const file = createFile();
  let parseError: string | undefined;
  file.onError = (module, message) => {
    parseError = `${module}: ${message}`;
  };
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(arrayBuffer, 0), true);
  file.flush();
  if (parseError) throw new Error(`${name} could not be parsed (${parseError})`);
  const info = file.getInfo();
  if (!info.hasMoov) throw new Error(`${name} is not an MP4 file with a movie header (moov)`);
  const video = info.videoTracks.find((t) => /^avc[13]\./.test(t.codec));
  if (!video) {
    const found = info.tracks.map((t) => t.codec).join(', ') || 'no tracks';
    throw new Error(`${name} has no H.264 video track (found: ${found})`);
  }
  const audio = info.audioTracks.find((t) => t.codec.startsWith('mp4a.40.'));

  const videoSamples = file.getTrackSamplesInfo(video.id);
  const audioSamples = audio ? file.getTrackSamplesInfo(audio.id) : [];
  const firstSync = videoSamples.findIndex((s) => s.is_sync);
  if (firstSync < 0) throw new Error(`${name} has no video sync sample`);

  const videoStsd = sampleDescriptions(bytes, video.id);
  const avc = parseAvcConfig(videoStsd);
  const audioStsd = audio ? sampleDescriptions(bytes, audio.id) : undefined;
  const aac = audioStsd ? parseAacConfig(audioStsd) : undefined;

  // Groups of pictures: from one sync sample to the next.
  const gops: Sample[][] = [];
  for (const sample of videoSamples.slice(firstSync)) {
    if (sample.is_sync || gops.length === 0) gops.push([]);
    gops[gops.length - 1]?.push(sample);
  }
  const vts = video.timescale;
  const origin = (videoSamples[firstSync]?.dts ?? 0) / vts;
  const gopStarts = gops.map((gop) => (gop[0]?.dts ?? 0) / vts - origin);
  const lastGop = gops[gops.length - 1] ?? [];
  const lastSample = lastGop[lastGop.length - 1];
  const clipEnd = lastSample ? (lastSample.dts + lastSample.duration) / vts - origin : 0;
  const fragmentDurationsMs = gopStarts.map(
    (start, i) => Math.round(((gopStarts[i + 1] ?? clipEnd) - start) * 1e6) / 1e3,
  );

  const audioPlan = audio
    ? planAudio(audioSamples, audio.timescale, {
        // Served video presents at (cts - first sync dts); the source presents at (cts - edit media
        // time). Audio moves by the same amount to stay in sync, and its own edit drops the priming.
        shiftSeconds: (firstEditMediaTime(video) - (videoSamples[firstSync]?.dts ?? 0)) / vts,
        mediaTime: firstEditMediaTime(audio),
        gopStarts,
        clipEnd,
      })
    : undefined;
  const audioGroups = audioPlan?.groups ?? gops.map(() => []);

  const data = (sample: CutSample): Uint8Array => bytes.subarray(sample.offset, sample.offset + sample.size);
  const videoInfo: TrackInfo = {
    trackNumber: VIDEO_TRACK,
    kind: 'video',
    codecId: 'V_MPEG/ISO/AVC',
    codecs: video.codec,
    timescale: vts,
    width: video.video?.width ?? video.track_width,
    height: video.video?.height ?? video.track_height,
    frameRate: frameRateOf(video),
  };
  const tracks: TrackFragments[] = [
    {
      info: videoInfo,
      init: buildTrackInit(videoInfo, videoStsd),
      fragments: gops.map((gop) => buildFragment(VIDEO_TRACK, gop, data, true)),
    },
  ];
  if (audio && audioStsd) {
    const audioInfo: TrackInfo = {
      trackNumber: AUDIO_TRACK,
      kind: 'audio',
      codecId: 'A_AAC',
      codecs: audio.codec,
      timescale: audio.timescale,
      sampleRate: audio.audio?.sample_rate ?? audio.timescale,
      channels: aac?.channels || (audio.audio?.channel_count ?? 2),
    };
    tracks.push({
      info: audioInfo,
      init: buildTrackInit(audioInfo, audioStsd),
      fragments: audioGroups.map((group) => buildFragment(AUDIO_TRACK, group, data, false)),
      ...(audioPlan === undefined ? {} : { decodeOffsets: audioPlan.offsets }),
    });
  }

  const counters = new Map<number, number>();
  const tsSegments = gops.map((gop, i) => {
    const toVideoTicks = (t: number): number => Math.round((t / vts - origin) * TS_CLOCK);
    const videoTs: TsVideoSample[] = gop.map((sample) => ({
      data: toAnnexB(data(sample), avc, sample.is_sync),
      dts: toVideoTicks(sample.dts),
      pts: toVideoTicks(sample.cts),
      keyframe: sample.is_sync,
    }));
    const audioTs: TsAudioSample[] =
      audio && aac
        ? (audioGroups[i] ?? []).map((sample) => ({
            data: withAdtsHeader(data(sample), aac),
            pts: Math.round((sample.start * TS_CLOCK) / audio.timescale),
          }))
        : [];
    return muxTsSegment(videoTs, audioTs, counters);
  });

  let bandwidth = 0;
  fragmentDurationsMs.forEach((ms, i) => {
    const fmp4 = tracks.reduce((sum, t) => sum + (t.fragments[i]?.length ?? 0), 0);
    const ts = tsSegments[i]?.length ?? 0;
    bandwidth = Math.max(bandwidth, Math.ceil((Math.max(fmp4, ts) * 8 * 1000) / Math.max(ms, 1)));
  });

  return createFragmentedClip({ tracks, fragmentDurationsMs, bandwidth, tsSegments });
}

/** What a fragment needs of a source sample. */
type CutSample = Pick<Sample, 'offset' | 'size' | 'duration' | 'is_sync' | 'cts' | 'dts'>;

/** An audio frame placed on the clip: `start` in the audio timescale from the clip's first video frame. */
interface PlacedAudioSample extends CutSample {
  readonly start: number;
}

interface AudioPlan {
  /** Audio frames of each clip fragment (GOP). */
  readonly groups: PlacedAudioSample[][];
  /** Start of each fragment's first audio frame after the GOP start, in the audio timescale. */
  readonly offsets: number[];
}

/**
 * Shares the audio frames out between the GOPs so that the clip loops without audio overlap or gap:
 *
 * - a frame goes with the GOP its start falls in, and a GOP's audio fragment starts where its first
 *   frame does (`offsets`, after the GOP start), so A/V sync is the source's;
 * - the audio kept is one clip length long from the first video frame's presentation: frames that
 *   start before it (encoder priming, lead-in) or end after one clip length are dropped;
 * - each frame lasts until the next one starts, and the clip's last frame until the first frame of
 *   the next loop starts. When the source audio is not a whole number of frames as long as the
 *   video, that last frame covers the remainder (less than one frame, at most one frame of silence at
 *   the loop point instead of an overlap); AAC at a sample rate where a GOP holds a whole number of
 *   1024-sample frames (64 kHz with 2 s GOPs, for instance) has no remainder at all.
 */
function planAudio(
  samples: readonly Sample[],
  timescale: number,
  options: { shiftSeconds: number; mediaTime: number; gopStarts: readonly number[]; clipEnd: number },
): AudioPlan {
  const gopTicks = options.gopStarts.map((start) => Math.round(start * timescale));
  const endTicks = Math.round(options.clipEnd * timescale);
  const shiftTicks = Math.round(options.shiftSeconds * timescale);
  const groups: PlacedAudioSample[][] = gopTicks.map(() => []);
  const windowStart = Math.max(0, shiftTicks);
  const placed: PlacedAudioSample[] = [];
  for (const sample of samples) {
    const start = sample.dts - options.mediaTime + shiftTicks;
    if (start < windowStart || start + sample.duration > windowStart + endTicks) continue;
    placed.push({ ...sample, start });
  }
  const loopStart = endTicks + (placed[0]?.start ?? 0);
  placed.forEach((sample, i) => {
    const nextStart = placed[i + 1]?.start ?? loopStart;
    const timed = { ...sample, duration: Math.max(1, nextStart - sample.start) };
    let index = gopTicks.length - 1;
    while (index > 0 && (gopTicks[index] ?? 0) > sample.start) index -= 1;
    groups[index]?.push(timed);
  });
  const offsets = groups.map((group, i) => (group[0] ? group[0].start - (gopTicks[i] ?? 0) : 0));
  return { groups, offsets };
}

/** Media time where presentation starts (the first non-empty edit), e.g. AAC encoder priming. */
function firstEditMediaTime(track: Track): number {
  const edit = track.edits?.find((entry) => entry.media_time >= 0);
  return edit?.media_time ?? 0;
}

function frameRateOf(track: Track): number {
  const seconds = track.samples_duration / track.timescale || track.duration / track.timescale;
  return seconds > 0 ? Math.round((track.nb_samples / seconds) * 1000) / 1000 : 0;
}

/** The raw `stsd` box of a track, located by track id in the file's `moov`. */
function sampleDescriptions(bytes: Uint8Array, trackId: number): Uint8Array {
  const moov = requireBox(bytes, ['moov']);
  for (const trak of childBoxes(bytes, moov).filter((b) => b.type === 'trak')) {
    const tkhd = requireBox(bytes, ['tkhd'], trak);
    const version = bytes[tkhd.payloadStart] ?? 0;
    const id = viewOf(bytes).getUint32(tkhd.payloadStart + 4 + (version === 1 ? 16 : 8));
    if (id === trackId) return boxBytes(bytes, requireBox(bytes, ['mdia', 'minf', 'stbl', 'stsd'], trak));
  }
  throw new Error(`No trak with track id ${trackId}`);
}

/** A child box of the first sample entry of an `stsd` (e.g. `avcC` in `avc1`, `esds` in `mp4a`). */
function sampleEntryChild(stsd: Uint8Array, type: string): Uint8Array {
  // The child boxes follow fixed fields whose length depends on the entry kind and version, so
  // find the child by its four-character code, then check it parses as a box.
  const entryStart = 16;
  const needle = Array.from(type, (c) => c.charCodeAt(0));
  for (let i = entryStart + 8; i + 4 <= stsd.length; i += 1) {
    if (needle.every((c, k) => stsd[i + k] === c)) {
      const [box] = readBoxes(stsd, i - 4, stsd.length).slice(0, 1);
      if (box?.type === type) return boxBytes(stsd, box);
    }
  }
  throw new Error(`Sample description has no '${type}' box`);
}

interface AvcConfig {
  readonly lengthSize: number;
  readonly parameterSets: readonly Uint8Array[];
}

function parseAvcConfig(stsd: Uint8Array): AvcConfig {
  const avcC = sampleEntryChild(stsd, 'avcC');
  let at = 8;
  const lengthSize = ((avcC[at + 4] ?? 3) & 0x3) + 1;
  const parameterSets: Uint8Array[] = [];
  const spsCount = (avcC[at + 5] ?? 0) & 0x1f;
  at += 6;
  const readSets = (count: number): void => {
    for (let i = 0; i < count; i += 1) {
      const length = ((avcC[at] ?? 0) << 8) | (avcC[at + 1] ?? 0);
      parameterSets.push(avcC.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
  };
  readSets(spsCount);
  const ppsCount = avcC[at] ?? 0;
  at += 1;
  readSets(ppsCount);
  return { lengthSize, parameterSets };
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);
const ACCESS_UNIT_DELIMITER = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);

function toAnnexB(sample: Uint8Array, avc: AvcConfig, keyframe: boolean): Uint8Array {
  const parts: Uint8Array[] = [ACCESS_UNIT_DELIMITER];
  if (keyframe) for (const set of avc.parameterSets) parts.push(START_CODE, set);
  for (let at = 0; at + avc.lengthSize <= sample.length;) {
    let length = 0;
    for (let i = 0; i < avc.lengthSize; i += 1) length = length * 256 + (sample[at + i] ?? 0);
    at += avc.lengthSize;
    const nal = sample.subarray(at, at + length);
    at += length;
    if (((nal[0] ?? 0) & 0x1f) === 9) continue;
    parts.push(START_CODE, nal);
  }
  return concatBytes(parts);
}

interface AacConfig {
  readonly objectType: number;
  readonly frequencyIndex: number;
  readonly channels: number;
}

function parseAacConfig(stsd: Uint8Array): AacConfig {
  const esds = sampleEntryChild(stsd, 'esds');
  // Walk the descriptors (ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo).
  let at = 12;
  const readDescriptor = (): { tag: number; start: number; end: number } => {
    const tag = esds[at] ?? 0;
    at += 1;
    let length = 0;
    for (let i = 0; i < 4; i += 1) {
      const b = esds[at] ?? 0;
      at += 1;
      length = (length << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, start: at, end: at + length };
  };
  const es = readDescriptor();
  if (es.tag !== 0x03) throw new Error('esds without ES_Descriptor');
  const flags = esds[at + 2] ?? 0;
  at += 3;
  if (flags & 0x80) at += 2;
  if (flags & 0x40) at += 1 + (esds[at] ?? 0);
  if (flags & 0x20) at += 2;
  const decoderConfig = readDescriptor();
  if (decoderConfig.tag !== 0x04) throw new Error('esds without DecoderConfigDescriptor');
  at += 13;
  const specific = readDescriptor();
  if (specific.tag !== 0x05) throw new Error('esds without AudioSpecificConfig');
  const b0 = esds[specific.start] ?? 0;
  const b1 = esds[specific.start + 1] ?? 0;
  const objectType = b0 >> 3;
  const frequencyIndex = ((b0 & 0x07) << 1) | (b1 >> 7);
  const channels = (b1 >> 3) & 0x0f;
  if (frequencyIndex === 15) throw new Error('AAC with an explicit sampling frequency is not supported');
  return { objectType, frequencyIndex, channels };
}

function withAdtsHeader(frame: Uint8Array, aac: AacConfig): Uint8Array {
  // ADTS can only signal the four base profiles; HE-AAC streams are sent as AAC-LC with implicit SBR.
  const profile = Math.min(Math.max(aac.objectType, 1), 4) - 1;
  const length = frame.length + 7;
  const header = Uint8Array.of(
    0xff,
    0xf1,
    (profile << 6) | (aac.frequencyIndex << 2) | ((aac.channels >> 2) & 0x1),
    ((aac.channels & 0x3) << 6) | ((length >> 11) & 0x3),
    (length >> 3) & 0xff,
    ((length & 0x7) << 5) | 0x1f,
    0xfc,
  );
  return concatBytes([header, frame]);
}

const SAMPLE_FLAGS_SYNC = 0x02000000;
const SAMPLE_FLAGS_NON_SYNC = 0x01010000;

/**
 * `moof` + `mdat` for one track and one clip fragment (tfdt 0; the clip rewrites it when served).
 * Composition offsets stay positive (trun version 0), as in the source file.
 */
function buildFragment(
  trackId: number,
  samples: readonly CutSample[],
  data: (sample: CutSample) => Uint8Array,
  video: boolean,
): Uint8Array {
  if (samples.length === 0) return new Uint8Array(0);
  const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | (video ? 0x000800 : 0);
  const entries = samples.map((s) =>
    packUints([
      [4, s.duration],
      [4, s.size],
      [4, !video || s.is_sync ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC],
      ...(video ? ([[4, Math.max(0, s.cts - s.dts)]] as const) : []),
    ]),
  );
  const trun = (dataOffset: number): Uint8Array =>
    writeFullBox(
      'trun',
      0,
      TRUN_FLAGS,
      packUints([
        [4, samples.length],
        [4, dataOffset],
      ]),
      ...entries,
    );
  const moof = (dataOffset: number): Uint8Array =>
    writeBox(
      'moof',
      writeFullBox('mfhd', 0, 0, packUints([[4, 1]])),
      writeBox(
        'traf',
        writeFullBox('tfhd', 0, 0x020000, packUints([[4, trackId]])),
        writeFullBox('tfdt', 1, 0, packUints([[8, 0]])),
        trun(dataOffset),
      ),
    );
  const size = moof(0).length;
  return concatBytes([moof(size + 8), writeBox('mdat', ...samples.map(data))]);
}

const IDENTITY_MATRIX = packUints([
  [4, 0x00010000],
  [4, 0],
  [4, 0],
  [4, 0],
  [4, 0x00010000],
  [4, 0],
  [4, 0],
  [4, 0],
  [4, 0x40000000],
]);

/** A single-track fragmented-MP4 init segment around the source's sample description. */
function buildTrackInit(info: TrackInfo, stsd: Uint8Array): Uint8Array {
  const video = info.kind === 'video';
  const ftyp = writeBox(
    'ftyp',
    new TextEncoder().encode('iso5'),
    packUints([[4, 512]]),
    new TextEncoder().encode('iso5iso6mp41'),
  );
  const mvhd = writeFullBox(
    'mvhd',
    0,
    0,
    packUints([
      [4, 0],
      [4, 0],
      [4, 1000],
      [4, 0],
      [4, 0x00010000],
      [2, 0x0100],
    ]),
    new Uint8Array(10),
    IDENTITY_MATRIX,
    new Uint8Array(24),
    packUints([[4, info.trackNumber + 1]]),
  );
  const tkhd = writeFullBox(
    'tkhd',
    0,
    0x000003,
    packUints([
      [4, 0],
      [4, 0],
      [4, info.trackNumber],
      [4, 0],
      [4, 0],
    ]),
    new Uint8Array(8),
    packUints([
      [2, 0],
      [2, 0],
      [2, video ? 0 : 0x0100],
      [2, 0],
    ]),
    IDENTITY_MATRIX,
    packUints([
      [4, (info.width ?? 0) * 0x10000],
      [4, (info.height ?? 0) * 0x10000],
    ]),
  );
  const mdhd = writeFullBox(
    'mdhd',
    0,
    0,
    packUints([
      [4, 0],
      [4, 0],
      [4, info.timescale],
      [4, 0],
      [2, 0x55c4],
      [2, 0],
    ]),
  );
  const handlerName = new TextEncoder().encode(video ? 'VideoHandler\0' : 'SoundHandler\0');
  const hdlr = writeFullBox(
    'hdlr',
    0,
    0,
    packUints([[4, 0]]),
    new TextEncoder().encode(video ? 'vide' : 'soun'),
    new Uint8Array(12),
    handlerName,
  );
  const mediaHeader = video
    ? writeFullBox('vmhd', 0, 1, new Uint8Array(8))
    : writeFullBox('smhd', 0, 0, new Uint8Array(4));
  const dinf = writeBox('dinf', writeFullBox('dref', 0, 0, packUints([[4, 1]]), writeFullBox('url ', 0, 1)));
  const emptyTable = (type: string, fields: number): Uint8Array =>
    writeFullBox(type, 0, 0, new Uint8Array(4 * fields));
  const stbl = writeBox(
    'stbl',
    stsd,
    emptyTable('stts', 1),
    emptyTable('stsc', 1),
    emptyTable('stsz', 2),
    emptyTable('stco', 1),
  );
  const trak = writeBox(
    'trak',
    tkhd,
    writeBox('mdia', mdhd, hdlr, writeBox('minf', mediaHeader, dinf, stbl)),
  );
  const trex = writeFullBox(
    'trex',
    0,
    0,
    packUints([
      [4, info.trackNumber],
      [4, 1],
      [4, 0],
      [4, 0],
      [4, 0],
    ]),
  );
  return concatBytes([ftyp, writeBox('moov', mvhd, trak, writeBox('mvex', trex))]);
}
