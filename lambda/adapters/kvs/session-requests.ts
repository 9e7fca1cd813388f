import type {
  GetDASHStreamingSessionURLInput,
  GetHLSStreamingSessionURLInput,
} from '@aws-sdk/client-kinesis-video-archived-media';
import type { SessionUrlRequest } from '../../core/model';

/** The core's session request as the input of GetHLSStreamingSessionURL and GetDASHStreamingSessionURL. */

const YES_NO = (value: boolean): 'ALWAYS' | 'NEVER' => (value ? 'ALWAYS' : 'NEVER');
const SELECTOR_TYPE = { SERVER: 'SERVER_TIMESTAMP', PRODUCER: 'PRODUCER_TIMESTAMP' } as const;

function timestampRange(
  request: SessionUrlRequest,
): { StartTimestamp: Date; EndTimestamp?: Date } | undefined {
  if (request.start === undefined) return undefined;
  return {
    StartTimestamp: new Date(request.start),
    ...(request.end !== undefined ? { EndTimestamp: new Date(request.end) } : {}),
  };
}

export function toHlsInput(request: SessionUrlRequest): GetHLSStreamingSessionURLInput {
  const range = timestampRange(request);
  return {
    StreamName: request.streamName,
    PlaybackMode: request.playbackMode,
    HLSFragmentSelector: {
      FragmentSelectorType: SELECTOR_TYPE[request.timestampSource],
      ...(range ? { TimestampRange: range } : {}),
    },
    Expires: request.expiresInSeconds,
    ...(request.containerFormat ? { ContainerFormat: request.containerFormat } : {}),
    ...(request.discontinuityMode ? { DiscontinuityMode: request.discontinuityMode } : {}),
    ...(request.displayFragmentTimestamp !== undefined
      ? { DisplayFragmentTimestamp: YES_NO(request.displayFragmentTimestamp) }
      : {}),
    ...(request.maxFragments !== undefined ? { MaxMediaPlaylistFragmentResults: request.maxFragments } : {}),
  };
}

export function toDashInput(request: SessionUrlRequest): GetDASHStreamingSessionURLInput {
  const range = timestampRange(request);
  return {
    StreamName: request.streamName,
    PlaybackMode: request.playbackMode,
    DASHFragmentSelector: {
      FragmentSelectorType: SELECTOR_TYPE[request.timestampSource],
      ...(range ? { TimestampRange: range } : {}),
    },
    Expires: request.expiresInSeconds,
    ...(request.displayFragmentTimestamp !== undefined
      ? { DisplayFragmentTimestamp: YES_NO(request.displayFragmentTimestamp) }
      : {}),
    ...(request.displayFragmentNumber !== undefined
      ? { DisplayFragmentNumber: YES_NO(request.displayFragmentNumber) }
      : {}),
    ...(request.maxFragments !== undefined ? { MaxManifestFragmentResults: request.maxFragments } : {}),
  };
}
