import type { EmulatedStream } from './stream-registry';
import type { Session } from './session-token';
import { sequenceNumberOf } from './session-fragments';
import { sourceTimeMs, type ArchivedFragment } from './timeline';

function xmlAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function isoDuration(ms: number): string {
  return `PT${(Math.max(0, ms) / 1000).toFixed(3)}S`;
}

/**
 * MPD with one adaptation set per track, SegmentTemplate + SegmentTimeline addressed by `$Number$`.
 * Media time is the producer timeline relative to the stream's origin, which is what the served
 * fragments carry in `tfdt`.
 */
export function dashManifest(
  stream: EmulatedStream,
  session: Session,
  token: string,
  fragments: readonly ArchivedFragment[],
  nowMs: number,
  maxClipDurationMs: number,
  /** Absolute URL of the emulator's clock endpoint, announced in dynamic MPDs. */
  utcTimeUrl?: string,
): string {
  const originMs = stream.timeline?.spec.originMs ?? stream.createdMs;
  const first = fragments[0];
  const isStatic = session.mode === 'ON_DEMAND';
  const firstMediaMs = first ? Math.round(first.producerStartMs - originMs) : 0;
  const totalMs = fragments.reduce((sum, fragment) => sum + fragment.durationMs, 0);
  const kvsAttributes = session.displayFragmentNumber || session.displayTimestamp;
  const mpdAttributes = [
    'xmlns="urn:mpeg:dash:schema:mpd:2011"',
    ...(kvsAttributes ? ['xmlns:kvs="urn:aws:kinesisvideo:dash:2018"'] : []),
    'profiles="urn:mpeg:dash:profile:isoff-live:2011"',
    `type="${isStatic ? 'static' : 'dynamic'}"`,
    `minBufferTime="${isoDuration(maxClipDurationMs)}"`,
  ];
  if (isStatic) {
    mpdAttributes.push(`mediaPresentationDuration="${isoDuration(totalMs)}"`);
  } else {
    // Chosen so that the live edge (now − availabilityStartTime) is the newest listed media time and
    // stays put across manifest refreshes: the origin for LIVE, the session start for LIVE_REPLAY.
    const clipDurations = stream.timeline?.spec.durationsMs ?? [maxClipDurationMs];
    const averageMs = clipDurations.reduce((sum, d) => sum + d, 0) / Math.max(1, clipDurations.length);
    const availabilityStartMs =
      session.mode === 'LIVE'
        ? originMs
        : session.createdMs - ((session.startMs ?? originMs) - originMs + session.maxFragments * averageMs);
    mpdAttributes.push(
      `availabilityStartTime="${new Date(availabilityStartMs).toISOString()}"`,
      `publishTime="${new Date(nowMs).toISOString()}"`,
      `minimumUpdatePeriod="${isoDuration(maxClipDurationMs)}"`,
      `timeShiftBufferDepth="${isoDuration(totalMs)}"`,
      `suggestedPresentationDelay="${isoDuration(maxClipDurationMs * 3)}"`,
    );
  }
  const timeline = fragments
    .map((fragment) => {
      const attributes = [
        `t="${Math.round(fragment.producerStartMs - originMs)}"`,
        `d="${Math.round(fragment.durationMs)}"`,
      ];
      if (session.displayFragmentNumber) attributes.push(`kvs:fn="${fragment.fragmentNumber}"`);
      if (session.displayTimestamp)
        attributes.push(`kvs:ts="${sourceTimeMs(fragment, session.source) / 1000}"`);
      return `          <S ${attributes.join(' ')}/>`;
    })
    .join('\n');
  const startNumber = first ? sequenceNumberOf(first, session) : 0;
  const adaptationSets = stream.tracks
    .map((track) => {
      const tokenQuery = `TrackNumber=${track.trackNumber}&SessionToken=${encodeURIComponent(token)}`;
      const media = `getMP4MediaFragment.mp4?TrackNumber=${track.trackNumber}&SequenceNumber=$Number$&SessionToken=${encodeURIComponent(token)}`;
      const mime = track.kind === 'video' ? 'video/mp4' : 'audio/mp4';
      const representation = [
        `id="${track.trackNumber}"`,
        `codecs="${xmlAttribute(track.codecs)}"`,
        `bandwidth="${stream.clip?.bandwidth ?? 0}"`,
        ...(track.width !== undefined ? [`width="${track.width}"`, `height="${track.height ?? 0}"`] : []),
        ...(track.frameRate !== undefined ? [`frameRate="${track.frameRate}"`] : []),
        ...(track.sampleRate !== undefined ? [`audioSamplingRate="${track.sampleRate}"`] : []),
      ];
      return [
        `    <AdaptationSet id="${track.trackNumber}" contentType="${track.kind}" mimeType="${mime}" segmentAlignment="true" startWithSAP="1">`,
        `      <Representation ${representation.join(' ')}>`,
        `        <SegmentTemplate timescale="1000" presentationTimeOffset="${isStatic ? firstMediaMs : 0}" startNumber="${startNumber}" initialization="${xmlAttribute(`getMP4InitFragment.mp4?${tokenQuery}`)}" media="${xmlAttribute(media)}">`,
        '          <SegmentTimeline>',
        timeline,
        '          </SegmentTimeline>',
        '        </SegmentTemplate>',
        '      </Representation>',
        '    </AdaptationSet>',
      ].join('\n');
    })
    .join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD ${mpdAttributes.join(' ')}>`,
    `  <Period id="0" start="PT0S">`,
    adaptationSets,
    '  </Period>',
    // Players sync their clock to the emulator's (which may be injected) without a public time
    // server: ISO time with milliseconds first, the Date header of the same URL as a fallback.
    ...(!isStatic && utcTimeUrl
      ? [
          `  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="${xmlAttribute(utcTimeUrl)}"/>`,
          `  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-head:2014" value="${xmlAttribute(utcTimeUrl)}"/>`,
        ]
      : []),
    '</MPD>',
    '',
  ].join('\n');
}
