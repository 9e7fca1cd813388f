import { CLIP_URL_REQUEST, IMAGES_REQUEST } from './media';
import { PLAYBACK_URL_REQUEST, type BodySchema } from './request-bodies';

/**
 * How callers prove who they are. The keys are the names of the security schemes of `openapi.yaml`.
 */
export const CREDENTIALS = {
  /** `Authorization: Bearer <JWT>` of the configured issuer, verified by the function. */
  bearerJwt: { caller: 'user', apiKeyRequired: false, browsers: true },
  /**
   * `x-api-key`, checked by API Gateway against the key's usage plan before the function runs; the
   * function reads the key's id. Partners' servers only: a key must never ship in an app or a page.
   */
  apiKey: { caller: 'partner', apiKeyRequired: true, browsers: false },
} as const;

export type Credentials = keyof typeof CREDENTIALS;

/** What the function does for a route: list streams, vend a session URL, a clip URL, or images. */
export type RouteAction = 'list' | 'vend' | 'clip' | 'images';

export interface Route {
  readonly method: 'GET' | 'POST';
  /** The API Gateway resource template (`event.resource`): `{name}` segments are path parameters. */
  readonly resource: string;
  readonly credentials: Credentials;
  readonly action: RouteAction;
  /** The JSON body the route takes, validated by API Gateway (shapes) and by the function (rules). */
  readonly requestBody?: BodySchema;
}

/**
 * The routes of the API. Adding a route is one entry here: the function's routing, the stack's
 * resources, methods and request models, and the local API follow, and a test holds `openapi.yaml` to it.
 */
export const ROUTES: readonly Route[] = [
  { method: 'GET', resource: '/v1/streams', credentials: 'bearerJwt', action: 'list' },
  {
    method: 'POST',
    resource: '/v1/streams/{streamName}/playback-url',
    credentials: 'bearerJwt',
    action: 'vend',
    requestBody: PLAYBACK_URL_REQUEST,
  },
  { method: 'GET', resource: '/partner/v1/streams', credentials: 'apiKey', action: 'list' },
  {
    method: 'POST',
    resource: '/partner/v1/streams/{streamName}/playback-url',
    credentials: 'apiKey',
    action: 'vend',
    requestBody: PLAYBACK_URL_REQUEST,
  },
  {
    method: 'POST',
    resource: '/v1/streams/{streamName}/clip-url',
    credentials: 'bearerJwt',
    action: 'clip',
    requestBody: CLIP_URL_REQUEST,
  },
  {
    method: 'POST',
    resource: '/v1/streams/{streamName}/images',
    credentials: 'bearerJwt',
    action: 'images',
    requestBody: IMAGES_REQUEST,
  },
  {
    method: 'POST',
    resource: '/partner/v1/streams/{streamName}/clip-url',
    credentials: 'apiKey',
    action: 'clip',
    requestBody: CLIP_URL_REQUEST,
  },
  {
    method: 'POST',
    resource: '/partner/v1/streams/{streamName}/images',
    credentials: 'apiKey',
    action: 'images',
    requestBody: IMAGES_REQUEST,
  },
];

/**
 * The function behind each action: `vend` lists streams and vends session URLs (small and quick, its
 * bundle and cold start kept lean); `media` makes clips and images (S3, longer calls, more memory).
 */
export const FUNCTION_OF_ACTION = {
  list: 'vend',
  vend: 'vend',
  clip: 'media',
  images: 'media',
} as const satisfies Readonly<Record<RouteAction, string>>;

export type FunctionName = (typeof FUNCTION_OF_ACTION)[RouteAction];

/** The names of the path parameters of a resource template, in order. */
export function pathParametersOf(resource: string): string[] {
  return [...resource.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}
