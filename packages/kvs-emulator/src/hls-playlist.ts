import type { TrackInfo } from './media/types';
import type { EmulatedStream } from './stream-registry';
import type { Session } from './session-token';
import { isDiscontinuous, sequenceNumberOf } from './session-fragments';
import { sourceTimeMs, type ArchivedFragment } from './timeline';

const AUDIO_GROUP = 'audio';

function query(token: string, extra: Record<string, string | number> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(extra)) params.set(name, String(value));
  params.set('SessionToken', token);
  return params.toString();
}

function trackOrder(
  params: Record<string, string | number>,
  trackNumber?: number,
): Record<string, string | number> {
  return trackNumber === undefined ? params : { ...params, TrackNumber: trackNumber };
}

function codecsOf(tracks: readonly TrackInfo[]): string {
  return tracks.map((track) => track.codecs).join(',');
}

export function masterPlaylist(stream: EmulatedStream, session: Session, token: string): string {
  const video = stream.tracks.find((track) => track.trackNumber === 1);
  const audio = stream.tracks.find((track) => track.trackNumber === 2);
  const separateAudio = audio !== undefined && session.containerFormat === 'FRAGMENTED_MP4';
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (separateAudio) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,` +
        `URI="getHLSMediaPlaylist.m3u8?${query(token, { TrackNumber: 2 })}"`,
    );
  }
  const attributes = [`BANDWIDTH=${stream.clip?.bandwidth ?? 0}`, `CODECS="${codecsOf(stream.tracks)}"`];
  if (video?.width !== undefined && video.height !== undefined) {
    attributes.push(`RESOLUTION=${video.width}x${video.height}`);
  }
  if (video?.frameRate !== undefined) attributes.push(`FRAME-RATE=${video.frameRate.toFixed(3)}`);
  if (separateAudio) attributes.push(`AUDIO="${AUDIO_GROUP}"`);
  lines.push(
    `#EXT-X-STREAM-INF:${attributes.join(',')}`,
    `getHLSMediaPlaylist.m3u8?${query(token, { TrackNumber: 1 })}`,
  );
  return `${lines.join('\n')}\n`;
}

function extinf(durationMs: number): string {
  return (Math.round(durationMs) / 1000).toFixed(3);
}

export function mediaPlaylist(
  session: Session,
  token: string,
  fragments: readonly ArchivedFragment[],
  trackNumber: number,
  maxClipDurationMs: number,
): string {
  const fmp4 = session.containerFormat === 'FRAGMENTED_MP4';
  const first = fragments[0];
  const targetDuration = Math.max(1, Math.ceil(Number(extinf(maxClipDurationMs))));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${first ? sequenceNumberOf(first, session) : 0}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  if (session.mode === 'ON_DEMAND') lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  if (fmp4)
    lines.push(`#EXT-X-MAP:URI="getMP4InitFragment.mp4?${query(token, { TrackNumber: trackNumber })}"`);
  fragments.forEach((fragment, index) => {
    const previous = index > 0 ? fragments[index - 1] : undefined;
    const discontinuity =
      session.discontinuityMode === 'ALWAYS' ||
      (session.discontinuityMode === 'ON_DISCONTINUITY' &&
        previous !== undefined &&
        isDiscontinuous(previous, fragment, session.source));
    if (discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (session.displayTimestamp) {
      lines.push(
        `#EXT-X-PROGRAM-DATE-TIME:${new Date(sourceTimeMs(fragment, session.source)).toISOString()}`,
      );
    }
    lines.push(`#EXTINF:${extinf(fragment.durationMs)},`);
    lines.push(
      fmp4
        ? `getMP4MediaFragment.mp4?${query(token, trackOrder({ FragmentNumber: fragment.fragmentNumber }, trackNumber))}`
        : `getTSFragment.ts?${query(token, { FragmentNumber: fragment.fragmentNumber })}`,
    );
  });
  if (session.mode === 'ON_DEMAND') lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
