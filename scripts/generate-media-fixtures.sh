#!/usr/bin/env bash
# Regenerates the committed media fixtures of the local KVS emulator (local/media/fixtures/).
#
# For maintainers only: it needs ffmpeg/ffprobe (Debian: apt-get install -y ffmpeg) and Node.js.
# Nothing at run time or in the tests runs it; they read the committed output.
#
# The clip is synthetic (test pattern + a running clock, a 440 Hz tone that beeps every second) so
# that playback progress is visible and audible. Video is H.264 Main without B-frames and with a
# keyframe every 2 s exactly, so each GOP becomes one KVS fragment; audio is AAC-LC.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${ROOT}/local/media/fixtures"
DURATION=10
FPS=20
GOP_SECONDS=2
WIDTH=480
HEIGHT=270
SAMPLE_RATE=48000
KEYINT=$((FPS * GOP_SECONDS))
FONT="$(fc-match -f '%{file}' 'DejaVu Sans Mono' 2>/dev/null || true)"

for tool in ffmpeg ffprobe node; do
  command -v "${tool}" >/dev/null || { echo "${tool} is required" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT

overlay="drawbox=x=0:y=ih-48:w=iw:h=48:color=black@0.6:t=fill"
if [[ -n "${FONT}" ]]; then
  overlay="${overlay},drawtext=fontfile=${FONT}:fontsize=32:fontcolor=white:x=12:y=h-42:text='%{pts\\:hms} frame %{n}'"
fi

x264_common=(-c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p -profile:v main -level:v 3.0
  -x264-params "keyint=${KEYINT}:min-keyint=${KEYINT}:scenecut=0:bframes=0:open-gop=0"
  -b:v 220k -maxrate 260k -bufsize 520k)

# 1. The source clip, both tracks.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${DURATION},${overlay}" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=${SAMPLE_RATE}:duration=${DURATION}" \
  "${x264_common[@]}" -c:a aac -profile:a aac_low -b:a 48k -ac 1 -ar "${SAMPLE_RATE}" \
  -video_track_timescale 90000 -movflags +faststart -shortest "${WORK}/source.mp4"

rm -rf "${OUT}"
mkdir -p "${OUT}"

# 2. Per-track fragmented MP4: one init segment and one media fragment per GOP.
segment_fmp4() {
  local map="$1" name="$2"
  ffmpeg -hide_banner -loglevel error -y -i "${WORK}/source.mp4" -map "${map}" -c copy \
    -f hls -hls_time "${GOP_SECONDS}" -hls_playlist_type vod -hls_segment_type fmp4 \
    -hls_fmp4_init_filename "${name}-init.mp4" -hls_segment_filename "${OUT}/${name}-%03d.m4s" \
    "${WORK}/${name}.m3u8"
  mv "${WORK}/${name}-init.mp4" "${OUT}/${name}-init.mp4" 2>/dev/null || true
}
segment_fmp4 0:v video
segment_fmp4 0:a audio

# 3. Per-GOP MPEG-TS segments holding both tracks (named .mpegts: .ts would pass for TypeScript).
ffmpeg -hide_banner -loglevel error -y -i "${WORK}/source.mp4" -map 0:v -map 0:a -c copy \
  -bsf:v h264_mp4toannexb -f hls -hls_time "${GOP_SECONDS}" -hls_playlist_type vod \
  -hls_segment_type mpegts -hls_segment_filename "${OUT}/segment-%03d.mpegts" "${WORK}/ts.m3u8"

# 4. A tiny progressive MP4 with B-frames and 1 s GOPs, standing in for a user's own footage.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=160x90:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=660:sample_rate=44100:duration=4" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -profile:v high \
  -x264-params "keyint=25:min-keyint=25:scenecut=0:bframes=2" -b:v 60k \
  -c:a aac -b:a 32k -ac 1 -movflags +faststart -shortest "${OUT}/user-sample.mp4"

# 5. The manifest: what the loader and the tests read instead of hard-coding sizes and durations.
node - "${OUT}" "${WORK}" "${FPS}" "${WIDTH}" "${HEIGHT}" "${SAMPLE_RATE}" "${GOP_SECONDS}" <<'NODE'
const fs = require('node:fs');
const path = require('node:path');
const [out, work, fps, width, height, sampleRate, gopSeconds] = process.argv.slice(2);

const extinf = (name) =>
  fs
    .readFileSync(path.join(work, `${name}.m3u8`), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#EXTINF:'))
    .map((line) => Math.round(Number(line.slice(8).split(',')[0]) * 1000));
const files = (prefix, ext) =>
  fs.readdirSync(out).filter((f) => f.startsWith(prefix) && f.endsWith(ext)).sort();

// Reads the mdhd timescale and, for video, the avcC profile/compat/level bytes of an init segment.
function readInit(file) {
  const bytes = fs.readFileSync(path.join(out, file));
  const find = (type) => bytes.indexOf(Buffer.from(type, 'latin1'));
  const mdhd = find('mdhd');
  const version = bytes[mdhd + 4];
  const timescale = bytes.readUInt32BE(mdhd + 4 + 4 + (version === 1 ? 16 : 8));
  const avcC = find('avcC');
  const codecs =
    avcC < 0 ? 'mp4a.40.2' : `avc1.${bytes.subarray(avcC + 5, avcC + 8).toString('hex')}`;
  return { timescale, codecs };
}

const videoFragments = files('video-', '.m4s');
const tsSegments = files('segment-', '.mpegts');
const fragmentDurationsMs = extinf('video');

// AAC frames do not end exactly on the 2 s GOP boundaries, so the audio segmenter can leave a last
// fragment of a frame or two: fold such leftovers into the last fragment (a fragment may hold
// several moof+mdat pairs) so that every clip fragment has exactly one audio fragment.
let audioFragments = files('audio-', '.m4s');
const audioFragmentDurationsMs = extinf('audio');
while (audioFragments.length > videoFragments.length) {
  const extra = audioFragments.pop();
  const last = audioFragments[audioFragments.length - 1];
  fs.appendFileSync(path.join(out, last), fs.readFileSync(path.join(out, extra)));
  fs.rmSync(path.join(out, extra));
  const extraMs = audioFragmentDurationsMs.pop();
  audioFragmentDurationsMs[audioFragmentDurationsMs.length - 1] += extraMs;
}
if (videoFragments.length !== fragmentDurationsMs.length || tsSegments.length !== fragmentDurationsMs.length) {
  throw new Error('video fragments, TS segments and durations disagree');
}
const size = (f) => fs.statSync(path.join(out, f)).size;
let bandwidth = 0;
fragmentDurationsMs.forEach((ms, i) => {
  const fmp4 = size(videoFragments[i]) + (audioFragments[i] ? size(audioFragments[i]) : 0);
  const ts = size(tsSegments[i]);
  bandwidth = Math.max(bandwidth, Math.ceil((Math.max(fmp4, ts) * 8 * 1000) / ms));
});

const video = readInit('video-init.mp4');
const audio = readInit('audio-init.mp4');
const manifest = {
  description: 'Synthetic test clip for the local KVS emulator; regenerate with scripts/generate-media-fixtures.sh',
  gopSeconds: Number(gopSeconds),
  fragmentDurationsMs,
  audioFragmentDurationsMs,
  bandwidth,
  tracks: [
    {
      trackNumber: 1, kind: 'video', codecId: 'V_MPEG/ISO/AVC', codecs: video.codecs, timescale: video.timescale,
      width: Number(width), height: Number(height), frameRate: Number(fps),
      init: 'video-init.mp4', fragments: videoFragments,
    },
    {
      trackNumber: 2, kind: 'audio', codecId: 'A_AAC', codecs: audio.codecs, timescale: audio.timescale,
      sampleRate: Number(sampleRate), channels: 1,
      init: 'audio-init.mp4', fragments: audioFragments,
    },
  ],
  tsSegments,
  userSample: 'user-sample.mp4',
};
fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
NODE

du -sh "${OUT}"
