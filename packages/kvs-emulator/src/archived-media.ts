import type { MediaClip } from './media/types';
import type { EmulatorState } from './emulator-state';
import {
  decodePageToken,
  encodePageToken,
  enumValue,
  findStream,
  integerValue,
  optionalObject,
  optionalString,
  streamReference,
  timestampValue,
  type Input,
} from './request-input';
import { sessionFragments, streamSequenceNumberOf } from './session-fragments';
import {
  SessionTokens,
  type ContainerFormat,
  type DiscontinuityMode,
  type PlaybackMode,
  type Session,
} from './session-token';
import { clientLimitExceeded, invalidArgument, noFragments, ServiceError } from './service-error';
import type { EmulatedStream } from './stream-registry';
import { dedupe, type ArchivedFragment, type Timeline, type TimestampSource } from './timeline';

const HOUR_MS = 3_600_000;
/** LIVE needs a fragment this recent when the session is created. */
const LIVE_SILENCE_MS = 30_000;
const SUPPORTED_VIDEO = ['V_MPEG/ISO/AVC', 'V_MPEG/ISO/HEVC'];

const PLAYBACK_MODES = ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] as const;
const SELECTOR_TYPES = ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'] as const;
const CONTAINER_FORMATS = ['FRAGMENTED_MP4', 'MPEG_TS'] as const;
const DISCONTINUITY_MODES = ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'] as const;
const DISPLAY = ['ALWAYS', 'NEVER'] as const;

interface TimestampRange {
  readonly startMs: number;
  readonly endMs?: number;
}

/** Start required; End, when present, after Start, within 24 h of it, and in the past for server time. */
function parseRange(
  range: Input,
  source: TimestampSource,
  nowMs: number,
  endRequired: boolean,
): TimestampRange {
  const startMs = timestampValue(range, 'StartTimestamp');
  const endMs = timestampValue(range, 'EndTimestamp');
  if (startMs === undefined) throw invalidArgument('StartTimestamp is required in TimestampRange.');
  if (endMs === undefined) {
    if (endRequired)
      throw invalidArgument('EndTimestamp is required in TimestampRange for this playback mode.');
    return { startMs };
  }
  if (endMs <= startMs) throw invalidArgument('EndTimestamp must be later than StartTimestamp.');
  if (endMs - startMs > 24 * HOUR_MS)
    throw invalidArgument('EndTimestamp must be within 24 hours of StartTimestamp.');
  if (source === 'SERVER_TIMESTAMP' && endMs > nowMs) {
    throw invalidArgument('EndTimestamp must be in the past for SERVER_TIMESTAMP.');
  }
  return { startMs, endMs };
}

/** NoDataRetention, then an unsupported track 1, as the service checks a stream before playing it. */
function assertPlayable(stream: EmulatedStream): void {
  if (stream.retentionHours === 0) {
    throw new ServiceError(
      'NoDataRetentionException',
      400,
      'The stream has no data retention; playback of archived media needs retention greater than 0.',
    );
  }
  const track1 = stream.tracks.find((track) => track.trackNumber === 1);
  if (track1 && !SUPPORTED_VIDEO.includes(track1.codecId) && track1.codecId !== 'A_AAC') {
    throw new ServiceError(
      'UnsupportedStreamMediaTypeException',
      400,
      `The codec ID of track 1 (${track1.codecId}) is not supported for streaming. Use H.264 or H.265 video.`,
    );
  }
}

function assertWithinRetention(stream: EmulatedStream, range: TimestampRange, nowMs: number): void {
  const retentionStartMs = nowMs - stream.retentionHours * HOUR_MS;
  if ((range.endMs ?? nowMs) < retentionStartMs) {
    throw invalidArgument('The requested timestamp range is outside the stream retention period.');
  }
}

interface SessionRequest {
  readonly protocol: 'HLS' | 'DASH';
  readonly selectorField: 'HLSFragmentSelector' | 'DASHFragmentSelector';
  readonly maxField: 'MaxMediaPlaylistFragmentResults' | 'MaxManifestFragmentResults';
}

function createSession(
  state: EmulatorState,
  input: Input,
  request: SessionRequest,
  dataEndpoint: string,
): Record<string, unknown> {
  const nowMs = state.clock();
  const reference = streamReference(input);
  const mode = enumValue<PlaybackMode>(input, 'PlaybackMode', PLAYBACK_MODES, 'LIVE');
  const selector = optionalObject(input, request.selectorField);
  const source = selector
    ? enumValue<TimestampSource>(selector, 'FragmentSelectorType', SELECTOR_TYPES, 'SERVER_TIMESTAMP')
    : 'SERVER_TIMESTAMP';
  const containerFormat =
    request.protocol === 'HLS'
      ? enumValue<ContainerFormat>(input, 'ContainerFormat', CONTAINER_FORMATS, 'FRAGMENTED_MP4')
      : 'FRAGMENTED_MP4';
  const discontinuityMode =
    request.protocol === 'HLS'
      ? enumValue<DiscontinuityMode>(
          input,
          'DiscontinuityMode',
          DISCONTINUITY_MODES,
          source === 'SERVER_TIMESTAMP' ? 'ALWAYS' : 'NEVER',
        )
      : 'NEVER';
  const displayTimestamp = enumValue(input, 'DisplayFragmentTimestamp', DISPLAY, 'NEVER') === 'ALWAYS';
  const displayFragmentNumber =
    request.protocol === 'DASH' && enumValue(input, 'DisplayFragmentNumber', DISPLAY, 'NEVER') === 'ALWAYS';
  const expires = integerValue(input, 'Expires', 300, 43200) ?? 300;
  const maxFragments = integerValue(input, request.maxField, 1, 5000) ?? (mode === 'ON_DEMAND' ? 1000 : 5);

  const rangeInput = selector ? optionalObject(selector, 'TimestampRange') : undefined;
  let range: TimestampRange | undefined;
  if (mode === 'LIVE') {
    if (rangeInput) throw invalidArgument('TimestampRange must not be set when PlaybackMode is LIVE.');
  } else {
    if (!selector || selector.FragmentSelectorType === undefined || !rangeInput) {
      throw invalidArgument(
        `${request.selectorField} with FragmentSelectorType and TimestampRange is required when PlaybackMode is ${mode}.`,
      );
    }
    range = parseRange(rangeInput, source, nowMs, mode === 'ON_DEMAND');
  }

  if (
    !state.limiter.tryTake({
      key: `stream/${reference.key}/session`,
      perSecond: state.quotas.sessionUrlPerStream,
    })
  ) {
    throw clientLimitExceeded();
  }
  const stream = findStream(state.streams, reference);
  assertPlayable(stream);
  if (range) assertWithinRetention(stream, range, nowMs);

  const session: Session = {
    id: SessionTokens.newSessionId(),
    protocol: request.protocol,
    streamName: stream.name,
    streamCreatedMs: stream.createdMs,
    mode,
    source,
    ...(range === undefined ? {} : { startMs: range.startMs }),
    ...(range?.endMs === undefined ? {} : { endMs: range.endMs }),
    containerFormat,
    discontinuityMode,
    displayTimestamp,
    displayFragmentNumber,
    maxFragments,
    createdMs: nowMs,
    expiresMs: nowMs + expires * 1000 * (state.sessionLifetimeScale ?? 1),
  };
  const fragments = stream.timeline ? sessionFragments(session, stream.timeline, nowMs) : [];
  const newest = fragments[fragments.length - 1];
  if (!newest || (mode === 'LIVE' && newest.serverStartMs < nowMs - LIVE_SILENCE_MS)) throw noFragments();

  const token = state.tokens.issue({
    ...session,
    sequenceBase: streamSequenceNumberOf(fragments[0]!, source),
  });
  return request.protocol === 'HLS'
    ? { HLSStreamingSessionURL: `${dataEndpoint}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=${token}` }
    : { DASHStreamingSessionURL: `${dataEndpoint}/dash/v1/getDASHManifest.mpd?SessionToken=${token}` };
}

export const getHlsStreamingSessionUrl = (state: EmulatorState, input: Input, dataEndpoint: string) =>
  createSession(
    state,
    input,
    { protocol: 'HLS', selectorField: 'HLSFragmentSelector', maxField: 'MaxMediaPlaylistFragmentResults' },
    dataEndpoint,
  );

export const getDashStreamingSessionUrl = (state: EmulatorState, input: Input, dataEndpoint: string) =>
  createSession(
    state,
    input,
    { protocol: 'DASH', selectorField: 'DASHFragmentSelector', maxField: 'MaxManifestFragmentResults' },
    dataEndpoint,
  );

const fragmentSizes = new WeakMap<MediaClip, number[]>();

/** Bytes of a fragment over all its tracks; the same for every loop of the clip. */
export function fragmentSizeInBytes(stream: EmulatedStream, clipIndex: number): number {
  const clip = stream.clip;
  if (!clip) return 0;
  let sizes = fragmentSizes.get(clip);
  if (!sizes) {
    sizes = [];
    fragmentSizes.set(clip, sizes);
  }
  const known = sizes[clipIndex];
  if (known !== undefined) return known;
  const size = clip.tracks.reduce(
    (sum, track) =>
      sum +
      clip.mediaFragment({ clipIndex, trackNumber: track.trackNumber, sequenceNumber: 1, startMs: 0 }).length,
    0,
  );
  sizes[clipIndex] = size;
  return size;
}

function throttleMediaApi(state: EmulatorState, streamKey: string): void {
  if (
    !state.limiter.tryTake({
      key: `stream/${streamKey}/media-api`,
      perSecond: state.quotas.mediaApiPerStream,
    })
  ) {
    throw clientLimitExceeded();
  }
}

const isFragmentPage = (value: unknown): value is { next: number } =>
  typeof value === 'object' &&
  value !== null &&
  Number.isInteger((value as { next?: unknown }).next) &&
  (value as { next: number }).next >= 0;

function parseSelector(selector: Input): { source: TimestampSource; range: TimestampRange } {
  const source = enumValue<TimestampSource>(selector, 'FragmentSelectorType', SELECTOR_TYPES);
  const range = optionalObject(selector, 'TimestampRange');
  if (source === undefined || !range) {
    throw invalidArgument('FragmentSelectorType and TimestampRange are required in a fragment selector.');
  }
  const startMs = timestampValue(range, 'StartTimestamp');
  const endMs = timestampValue(range, 'EndTimestamp');
  if (startMs === undefined || endMs === undefined) {
    throw invalidArgument('StartTimestamp and EndTimestamp are required in TimestampRange.');
  }
  if (endMs < startMs) throw invalidArgument('EndTimestamp must not be earlier than StartTimestamp.');
  return { source, range: { startMs, endMs } };
}

function fragmentRecord(stream: EmulatedStream, fragment: ArchivedFragment): Record<string, unknown> {
  return {
    FragmentNumber: fragment.fragmentNumber,
    FragmentSizeInBytes: fragmentSizeInBytes(stream, fragment.clipIndex),
    ProducerTimestamp: fragment.producerStartMs / 1000,
    ServerTimestamp: fragment.serverStartMs / 1000,
    FragmentLengthInMilliseconds: Math.round(fragment.durationMs),
  };
}

export function listFragments(state: EmulatorState, input: Input): Record<string, unknown> {
  const nowMs = state.clock();
  const reference = streamReference(input);
  const maxResults = integerValue(input, 'MaxResults', 1, 1000) ?? 100;
  const selectorInput = optionalObject(input, 'FragmentSelector');
  const selector = selectorInput ? parseSelector(selectorInput) : undefined;
  const page = decodePageToken(optionalString(input, 'NextToken'), isFragmentPage);
  throttleMediaApi(state, reference.key);
  const stream = findStream(state.streams, reference);
  const timeline = stream.timeline;
  const fragments: ArchivedFragment[] = [];
  let more = false;
  if (timeline) {
    const from = page?.next ?? 0;
    const candidates = selector
      ? timeline.range(nowMs, selector.source, selector.range.startMs, selector.range.endMs ?? nowMs)
      : timeline.all(nowMs, from);
    for (const fragment of candidates) {
      if (fragment.ingestIndex < from) continue;
      if (fragments.length === maxResults) {
        more = true;
        break;
      }
      fragments.push(fragment);
    }
  }
  const last = fragments[fragments.length - 1];
  return {
    Fragments: fragments.map((fragment) => fragmentRecord(stream, fragment)),
    ...(more && last ? { NextToken: encodePageToken({ next: last.ingestIndex + 1 }) } : {}),
  };
}

export interface BinaryResult {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/**
 * The fragments a clip holds: in `source` time order from StartTimestamp, producer-timestamp duplicates
 * removed, the first `maxFragments` of them whose media adds up to at most `maxBytes` (the first one
 * always). Like the service, a longer range is cut short, not refused.
 */
export function clipFragments(
  candidates: Iterable<ArchivedFragment>,
  sizeOf: (fragment: ArchivedFragment) => number,
  limits: { maxFragments: number; maxBytes: number },
): ArchivedFragment[] {
  const collected: ArchivedFragment[] = [];
  const starts = new Set<number>();
  for (const fragment of candidates) {
    // A producer's retry follows its original in ingest order: keep reading until a new start appears.
    if (!starts.has(fragment.producerStartMs) && starts.size === limits.maxFragments) break;
    starts.add(fragment.producerStartMs);
    collected.push(fragment);
  }
  const chosen: ArchivedFragment[] = [];
  let bytes = 0;
  for (const fragment of dedupe(collected, 'PRODUCER_TIMESTAMP')) {
    bytes += sizeOf(fragment);
    if (chosen.length > 0 && bytes > limits.maxBytes) break;
    chosen.push(fragment);
  }
  return chosen;
}

const NO_CLIP_FRAGMENTS = 'No fragments found in the stream for the clip request.';

export function getClip(state: EmulatorState, input: Input): BinaryResult {
  const nowMs = state.clock();
  const reference = streamReference(input);
  const selectorInput = optionalObject(input, 'ClipFragmentSelector');
  if (!selectorInput) throw invalidArgument('ClipFragmentSelector is required.');
  const { source, range } = parseSelector(selectorInput);
  const endMs = range.endMs ?? nowMs;
  if (endMs <= range.startMs) throw invalidArgument('EndTimestamp must be later than StartTimestamp.');
  if (endMs - range.startMs > 24 * HOUR_MS) {
    throw invalidArgument('EndTimestamp must be within 24 hours of StartTimestamp.');
  }
  if (source === 'SERVER_TIMESTAMP' && endMs > nowMs) {
    throw invalidArgument('EndTimestamp must be in the past for SERVER_TIMESTAMP.');
  }
  throttleMediaApi(state, reference.key);
  const stream = findStream(state.streams, reference);
  assertPlayable(stream);
  assertWithinRetention(stream, range, nowMs);
  const timeline: Timeline | undefined = stream.timeline;
  const fragments = timeline
    ? clipFragments(
        timeline.range(nowMs, source, range.startMs, endMs),
        (fragment) => fragmentSizeInBytes(stream, fragment.clipIndex),
        { maxFragments: state.limits.clipMaxFragments, maxBytes: state.limits.clipMaxBytes },
      )
    : [];
  if (fragments.length === 0 || !stream.clip || !timeline) {
    throw new ServiceError('ResourceNotFoundException', 404, NO_CLIP_FRAGMENTS);
  }
  const originMs = timeline.spec.originMs;
  return {
    contentType: 'video/mp4',
    body: stream.clip.clip(
      fragments.map((fragment) => ({
        clipIndex: fragment.clipIndex,
        sequenceNumber: fragment.ingestIndex + 1,
        startMs: fragment.producerStartMs - originMs,
      })),
    ),
  };
}
