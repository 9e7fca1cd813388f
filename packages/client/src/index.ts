export { createClient } from './client.js';
export type {
  CallOptions,
  ClientOptions,
  GetToken,
  KvsUrlVendingClient,
  PartnerClientOptions,
  UserClientOptions,
} from './client.js';
export { ApiError, isApiError } from './errors.js';
export type { ApiErrorInit, ClientErrorCode, ErrorCode } from './errors.js';
export { ActiveSession, createPlaybackSession } from './playback-session.js';
export type {
  PlaybackSession,
  PlaybackSessionEvent,
  PlaybackSessionOptions,
  PlaybackSessionState,
  RenewalReason,
} from './playback-session.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export type {
  Capability,
  ClipUrl,
  ClipUrlRequest,
  Images,
  ImagesRequest,
  PlayableStream,
  PlaybackMode,
  PlaybackUrl,
  PlaybackUrlRequest,
  Protocol,
  ServiceErrorCode,
  StreamList,
} from './types.js';
