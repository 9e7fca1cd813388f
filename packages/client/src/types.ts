import type { components, paths } from './generated/api.js';

/** The body of a playback-url request, as `openapi.yaml` defines it. */
export type PlaybackUrlRequest = components['schemas']['PlaybackUrlRequest'];
/** A vended session: its `url` is a bearer credential (never log, store or share it). */
export type PlaybackUrl = components['schemas']['PlaybackUrl'];
export type StreamList = components['schemas']['StreamList'];
export type PlayableStream = components['schemas']['PlayableStream'];
export type Protocol = components['schemas']['Protocol'];
export type PlaybackMode = components['schemas']['PlaybackMode'];
/** The error codes the service documents. */
export type ServiceErrorCode = components['schemas']['Error']['error']['code'];
export type ServiceErrorBody = components['schemas']['Error'];

/** Every path of the API, checked against the generated types so a renamed route fails to compile. */
export type ApiPath = keyof paths;
