/**
 * The playback vocabulary of the API, in the names and within the limits of the KVS API
 * (GetHLSStreamingSessionURL, GetDASHStreamingSessionURL): what a request body may ask for and what a
 * grant may allow.
 */

export const PROTOCOLS = ['HLS', 'DASH'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const PLAYBACK_MODES = ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] as const;
export type PlaybackMode = (typeof PLAYBACK_MODES)[number];

/** KVS `FragmentSelectorType`, without its `_TIMESTAMP` suffix. */
export const TIMESTAMP_SOURCES = ['SERVER', 'PRODUCER'] as const;
export type TimestampSource = (typeof TIMESTAMP_SOURCES)[number];

export const CONTAINER_FORMATS = ['FRAGMENTED_MP4', 'MPEG_TS'] as const;
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number];

export const DISCONTINUITY_MODES = ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'] as const;
export type DiscontinuityMode = (typeof DISCONTINUITY_MODES)[number];

/** KVS stream names: the service's own rule, checked before anything else. */
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;

/** Session lifetimes KVS accepts (seconds). */
export const MIN_EXPIRES_SECONDS = 300;
export const MAX_EXPIRES_SECONDS = 43_200;

/** The most fragments any session may list (the KVS maximum). */
export const MAX_FRAGMENTS = 5000;
