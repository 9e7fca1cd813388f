import { dashManifest } from './dash-manifest';
import type { EmulatorState } from './emulator-state';
import { masterPlaylist, mediaPlaylist } from './hls-playlist';
import { clientLimitExceeded, invalidArgument, ServiceError, streamNotFound } from './service-error';
import { fragmentBySequenceNumber, sessionFragments } from './session-fragments';
import type { Session } from './session-token';
import type { EmulatedStream } from './stream-registry';
import type { ArchivedFragment, Timeline } from './timeline';

export interface PlaybackResponse {
  readonly body: string | Uint8Array;
  readonly contentType: string;
}

/** Playback GETs by file name, with the operation name used for counters, faults and quotas. */
export const PLAYBACK_FILES = {
  'hls/v1/getHLSMasterPlaylist.m3u8': {
    operation: 'GetHLSMasterPlaylist',
    protocol: 'HLS',
    kind: 'playlist',
  },
  'hls/v1/getHLSMediaPlaylist.m3u8': { operation: 'GetHLSMediaPlaylist', protocol: 'HLS', kind: 'playlist' },
  'hls/v1/getMP4InitFragment.mp4': { operation: 'GetMP4InitFragment', protocol: 'HLS', kind: 'fragment' },
  'hls/v1/getMP4MediaFragment.mp4': { operation: 'GetMP4MediaFragment', protocol: 'HLS', kind: 'fragment' },
  'hls/v1/getTSFragment.ts': { operation: 'GetTSFragment', protocol: 'HLS', kind: 'fragment' },
  'dash/v1/getDASHManifest.mpd': { operation: 'GetDASHManifest', protocol: 'DASH', kind: 'playlist' },
  'dash/v1/getMP4InitFragment.mp4': { operation: 'GetMP4InitFragment', protocol: 'DASH', kind: 'fragment' },
  'dash/v1/getMP4MediaFragment.mp4': { operation: 'GetMP4MediaFragment', protocol: 'DASH', kind: 'fragment' },
} as const;

export type PlaybackFile = keyof typeof PLAYBACK_FILES;

/** The emulator's clock endpoint (unsigned GET/HEAD), named by the UTCTiming elements of dynamic MPDs. */
export const UTC_TIME_PATH = '/utc-time';

const notAuthorized = (): ServiceError =>
  new ServiceError('NotAuthorizedException', 403, 'The session token is not valid or has expired.');

const fragmentNotFound = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', 404, 'The requested fragment is not found in the stream.');

function trackNumberOf(stream: EmulatedStream, query: URLSearchParams): number {
  const raw = query.get('TrackNumber') ?? '1';
  const trackNumber = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!stream.tracks.some((track) => track.trackNumber === trackNumber)) {
    throw invalidArgument('TrackNumber does not name a track of the stream.');
  }
  return trackNumber;
}

function requestedFragment(
  file: PlaybackFile,
  session: Session,
  timeline: Timeline,
  query: URLSearchParams,
  nowMs: number,
): ArchivedFragment {
  if (file.startsWith('dash/')) {
    const raw = query.get('SequenceNumber') ?? '';
    if (!/^\d{1,15}$/.test(raw)) throw invalidArgument('SequenceNumber is required.');
    const fragment = fragmentBySequenceNumber(timeline, Number(raw), session);
    if (!timeline.isAvailable(fragment, nowMs)) throw fragmentNotFound();
    return fragment;
  }
  const fragmentNumber = query.get('FragmentNumber');
  if (fragmentNumber === null) throw invalidArgument('FragmentNumber is required.');
  const fragment = timeline.byFragmentNumber(fragmentNumber, nowMs);
  if (!fragment) throw fragmentNotFound();
  return fragment;
}

/** Serves one playback GET; the session token is the only authorization. */
export function servePlayback(
  state: EmulatorState,
  file: PlaybackFile,
  query: URLSearchParams,
): PlaybackResponse {
  const nowMs = state.clock();
  const { protocol, kind } = PLAYBACK_FILES[file];
  const token = query.get('SessionToken') ?? '';
  const session = state.tokens.open(token, nowMs);
  if (!session || session.protocol !== protocol) throw notAuthorized();
  const stream = state.streams.get(session.streamName);
  if (!stream || stream.createdMs !== session.streamCreatedMs) throw streamNotFound();
  const perSecond = kind === 'playlist' ? state.quotas.playlistsPerSession : state.quotas.fragmentsPerSession;
  if (!state.limiter.tryTake({ key: `session/${session.id}/${kind}`, perSecond }))
    throw clientLimitExceeded();

  const timeline = stream.timeline;
  const clip = stream.clip;
  if (!timeline || !clip) throw fragmentNotFound();
  const maxClipDurationMs = timeline.maxDurationMs;
  switch (file) {
    case 'hls/v1/getHLSMasterPlaylist.m3u8':
      return { body: masterPlaylist(stream, session, token), contentType: 'application/vnd.apple.mpegurl' };
    case 'hls/v1/getHLSMediaPlaylist.m3u8': {
      const trackNumber = trackNumberOf(stream, query);
      const fragments = sessionFragments(session, timeline, nowMs);
      return {
        body: mediaPlaylist(session, token, fragments, trackNumber, maxClipDurationMs),
        contentType: 'application/vnd.apple.mpegurl',
      };
    }
    case 'dash/v1/getDASHManifest.mpd': {
      const fragments = sessionFragments(session, timeline, nowMs);
      return {
        body: dashManifest(
          stream,
          session,
          token,
          fragments,
          nowMs,
          maxClipDurationMs,
          `${state.baseUrl()}${UTC_TIME_PATH}`,
        ),
        contentType: 'application/dash+xml',
      };
    }
    case 'hls/v1/getMP4InitFragment.mp4':
    case 'dash/v1/getMP4InitFragment.mp4':
      return { body: clip.initSegment(trackNumberOf(stream, query)), contentType: 'video/mp4' };
    case 'hls/v1/getMP4MediaFragment.mp4':
    case 'dash/v1/getMP4MediaFragment.mp4': {
      const trackNumber = trackNumberOf(stream, query);
      const fragment = requestedFragment(file, session, timeline, query, nowMs);
      return {
        body: clip.mediaFragment({
          clipIndex: fragment.clipIndex,
          trackNumber,
          sequenceNumber: fragment.ingestIndex + 1,
          startMs: fragment.producerStartMs - timeline.spec.originMs,
        }),
        contentType: 'video/mp4',
      };
    }
    case 'hls/v1/getTSFragment.ts': {
      const fragment = requestedFragment(file, session, timeline, query, nowMs);
      return {
        body: clip.tsFragment({
          clipIndex: fragment.clipIndex,
          startMs: fragment.producerStartMs - timeline.spec.originMs,
          fragmentIndex: fragment.timelineIndex,
        }),
        contentType: 'video/MP2T',
      };
    }
  }
}
