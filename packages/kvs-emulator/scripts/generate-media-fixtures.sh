#!/usr/bin/env bash
# Regenerates the committed media fixtures of the KVS emulator (fixtures/ of this package).
#
# For maintainers only: it needs ffmpeg (Debian: apt-get install -y ffmpeg) and Node.js with the
# package's dependencies installed. Nothing at run time or in the tests runs it; they read the
# committed output.
#
# The clip is synthetic (test pattern + a running clock, a 440 Hz tone that beeps every second) so
# that playback progress is visible and audible. Video is H.264 Main without B-frames and with a
# keyframe every 2 s exactly, so each GOP becomes one KVS fragment. Audio is AAC-LC at 64 kHz: a
# 2 s GOP then holds exactly 125 frames of 1024 samples, so every audio fragment lasts exactly as
# long as its video fragment and the clip loops without audio gap or overlap (at 48 kHz a GOP
# holds 93.75 frames). The tone has a whole number of periods in the clip, so it loops seamlessly.
#
# ffmpeg only encodes; scripts/write-fixture.ts cuts the encoded file into per-GOP fMP4
# fragments and MPEG-TS segments with the same code that loads a user's own MP4 (it drops the AAC
# encoder priming using the edit list and fails if a fragment's audio does not fill its GOP).
#
# Last, the stills that GetImages scales and encodes: one JPEG per STILL_SECONDS of the clip, decoded
# from the committed video fragments themselves (so each still is the frame the stream plays at that
# time). `--stills-only` redoes just that step from the committed fragments, leaving them untouched.
set -euo pipefail

PACKAGE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${PACKAGE}/fixtures"
DURATION=10
FPS=20
GOP_SECONDS=2
WIDTH=480
HEIGHT=270
SAMPLE_RATE=64000
KEYINT=$((FPS * GOP_SECONDS))
STILL_SECONDS=1
# ffmpeg's JPEG quality scale (2 best .. 31 worst): 5 keeps the burned-in clock legible at ~14 KB a still.
STILL_QUALITY=5
FONT="$(fc-match -f '%{file}' 'DejaVu Sans Mono' 2>/dev/null || true)"

for tool in ffmpeg node; do
  command -v "${tool}" >/dev/null || { echo "${tool} is required" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT

# Step 4 (below), or alone with --stills-only: stills for GetImages from the committed video track
# (its init segment followed by every fragment is a valid fragmented MP4): every (FPS * STILL_SECONDS)th
# frame, numbered from 0, then their entry in the manifest.
render_stills() {
  cat "${OUT}/video-init.mp4" "${OUT}"/video-[0-9][0-9][0-9].m4s > "${WORK}/video-track.mp4"
  rm -f "${OUT}"/still-*.jpg
  ffmpeg -hide_banner -loglevel error -y -i "${WORK}/video-track.mp4" \
    -vf "select='not(mod(n\\,$((FPS * STILL_SECONDS))))'" -fps_mode passthrough \
    -q:v "${STILL_QUALITY}" -start_number 0 "${OUT}/still-%03d.jpg"
  (cd "${PACKAGE}" && npx tsx scripts/write-stills-manifest.ts "${OUT}" "$((STILL_SECONDS * 1000))")
}

if [[ "${1:-}" == "--stills-only" ]]; then
  render_stills
  du -sh "${OUT}"
  exit 0
fi

overlay="drawbox=x=0:y=ih-48:w=iw:h=48:color=black@0.6:t=fill"
if [[ -n "${FONT}" ]]; then
  overlay="${overlay},drawtext=fontfile=${FONT}:fontsize=32:fontcolor=white:x=12:y=h-42:text='%{pts\\:hms} frame %{n}'"
fi

# 1. The source clip, both tracks, progressive MP4 (its audio edit list records the encoder priming).
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${DURATION},${overlay}" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=${SAMPLE_RATE}:duration=${DURATION}" \
  -c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p -profile:v main -level:v 3.0 \
  -x264-params "keyint=${KEYINT}:min-keyint=${KEYINT}:scenecut=0:bframes=0:open-gop=0" \
  -b:v 220k -maxrate 260k -bufsize 520k \
  -c:a aac -profile:a aac_low -b:a 48k -ac 1 -ar "${SAMPLE_RATE}" \
  -video_track_timescale 90000 -movflags +faststart "${WORK}/source.mp4"

rm -rf "${OUT}"
mkdir -p "${OUT}"

# 2. A tiny progressive MP4 with B-frames, 1 s GOPs and 44.1 kHz audio (GOPs that do not hold a
#    whole number of AAC frames), standing in for a user's own footage.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=160x90:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=660:sample_rate=44100:duration=4" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -profile:v high \
  -x264-params "keyint=25:min-keyint=25:scenecut=0:bframes=2" -b:v 60k \
  -c:a aac -b:a 32k -ac 1 -movflags +faststart -shortest "${OUT}/user-sample.mp4"

# 3. Per-track init segments, one fMP4 fragment per GOP and track, one MPEG-TS segment per GOP, and
#    the manifest the loader and the tests read instead of hard-coding sizes and durations.
(cd "${PACKAGE}" && npx tsx scripts/write-fixture.ts "${WORK}/source.mp4" "${OUT}" "${GOP_SECONDS}" user-sample.mp4)

# 4. The stills for GetImages.
render_stills

du -sh "${OUT}"
