import { PLAYBACK_URL_REQUEST, type PlaybackUrlRequestBody } from '../contract';
import { bodySchemaOf, issueDetails } from './body-schema';
import { InvalidRequestError, type ValidationDetail } from './errors';
import type { PlaybackRequest } from './model';
import type { Clock } from './ports';

/** KVS: the end of a timestamp range must be within 24 hours of its start. */
const MAX_RANGE_MS = 24 * 60 * 60 * 1000;

const INVALID_MESSAGE = 'The request body is invalid.';
const FIELDS = PLAYBACK_URL_REQUEST.fields;

const playbackBodySchema = bodySchemaOf(PLAYBACK_URL_REQUEST);

/**
 * Validates the body of `POST .../playback-url` against the contract and the rules KVS itself applies
 * (GetHLS/DASHStreamingSessionURL), so that a request KVS would refuse never reaches it. Every problem
 * found is reported at once in `details`; no detail echoes the offending value.
 */
export function validatePlaybackRequest(body: unknown, clock: Clock): PlaybackRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(INVALID_MESSAGE, [{ field: 'body', issue: 'must be a JSON object' }]);
  }
  const parsed = playbackBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError(INVALID_MESSAGE, parsed.error.issues.flatMap(issueDetails));
  }
  const data: PlaybackUrlRequestBody = parsed.data;
  const protocol = data.protocol ?? FIELDS.protocol.default;
  const playbackMode = data.playbackMode ?? FIELDS.playbackMode.default;
  const timestampSource = data.timestampSource ?? FIELDS.timestampSource.default;
  const start = data.start === undefined ? undefined : Date.parse(data.start);
  const end = data.end === undefined ? undefined : Date.parse(data.end);
  const details: ValidationDetail[] = [];

  if (playbackMode === 'LIVE') {
    if (start !== undefined) details.push({ field: 'start', issue: 'not allowed when playbackMode is LIVE' });
    if (end !== undefined) details.push({ field: 'end', issue: 'not allowed when playbackMode is LIVE' });
  } else {
    if (start === undefined) {
      details.push({ field: 'start', issue: `required when playbackMode is ${playbackMode}` });
    }
    if (end === undefined && playbackMode === 'ON_DEMAND') {
      details.push({ field: 'end', issue: 'required when playbackMode is ON_DEMAND' });
    }
    if (start !== undefined && end !== undefined) {
      if (end <= start) details.push({ field: 'end', issue: 'must be after start' });
      else if (end - start > MAX_RANGE_MS)
        details.push({ field: 'end', issue: 'must be within 24 hours of start' });
    }
    if (end !== undefined && timestampSource === 'SERVER' && end > clock.now()) {
      details.push({ field: 'end', issue: 'must be in the past when timestampSource is SERVER' });
    }
  }

  if (protocol !== 'HLS') {
    if (data.containerFormat !== undefined) details.push({ field: 'containerFormat', issue: 'HLS only' });
    if (data.discontinuityMode !== undefined) details.push({ field: 'discontinuityMode', issue: 'HLS only' });
  }
  if (protocol !== 'DASH' && data.displayFragmentNumber !== undefined) {
    details.push({ field: 'displayFragmentNumber', issue: 'DASH only' });
  }
  if (details.length > 0) throw new InvalidRequestError(INVALID_MESSAGE, details);

  return {
    protocol,
    playbackMode,
    timestampSource,
    expiresInSeconds: data.expiresInSeconds ?? FIELDS.expiresInSeconds.default,
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    ...(data.containerFormat !== undefined ? { containerFormat: data.containerFormat } : {}),
    ...(data.discontinuityMode !== undefined ? { discontinuityMode: data.discontinuityMode } : {}),
    ...(data.displayFragmentTimestamp !== undefined
      ? { displayFragmentTimestamp: data.displayFragmentTimestamp }
      : {}),
    ...(data.displayFragmentNumber !== undefined
      ? { displayFragmentNumber: data.displayFragmentNumber }
      : {}),
    ...(data.maxFragments !== undefined ? { maxFragments: data.maxFragments } : {}),
  };
}
