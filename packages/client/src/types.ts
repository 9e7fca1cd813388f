import type { components, paths } from './generated/api.js';

/** The body of a playback-url request, as `openapi.yaml` defines it. */
export type PlaybackUrlRequest = components['schemas']['PlaybackUrlRequest'];
/** A vended session: its `url` is a bearer credential (never log, store or share it). */
export type PlaybackUrl = components['schemas']['PlaybackUrl'];
export type StreamList = components['schemas']['StreamList'];
/** The body of a clip-url request: a past window of at most the deployment's longest clip (300 s by default). */
export type ClipUrlRequest = components['schemas']['ClipUrlRequest'];
/** A clip's presigned download URL: a bearer URL as a session URL is (never log, store or share it). */
export type ClipUrl = components['schemas']['ClipUrl'];
/** The body of an images request. */
export type ImagesRequest = components['schemas']['ImagesRequest'];
/** Images of a window, each with its picture (`data`, base64, or a bearer `url`) or its `error`. */
export type Images = components['schemas']['Images'];
export type Capability = components['schemas']['Capability'];
export type PlayableStream = components['schemas']['PlayableStream'];
export type Protocol = components['schemas']['Protocol'];
export type PlaybackMode = components['schemas']['PlaybackMode'];
/** The error codes the service documents. */
export type ServiceErrorCode = components['schemas']['Error']['error']['code'];
export type ServiceErrorBody = components['schemas']['Error'];

/** Every path of the API, checked against the generated types so a renamed route fails to compile. */
export type ApiPath = keyof paths;
