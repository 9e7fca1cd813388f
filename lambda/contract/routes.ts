import { CLIP_URL_REQUEST, IMAGES_REQUEST } from './media';
import { GRANT_REQUEST, PLAYBACK_URL_REQUEST, REVOCATION_REQUEST, type BodySchema } from './request-bodies';

/**
 * How callers prove who they are. The keys are the names of the security schemes of `openapi.yaml`.
 * `authorizationType` is the method's authorization in API Gateway: with `AWS_IAM`, API Gateway checks
 * the request's Signature Version 4 and the caller's IAM policy before the function runs, and hands the
 * function the caller's IAM identity.
 */
export const CREDENTIALS = {
  /** `Authorization: Bearer <JWT>` of the configured issuer, verified by the function. */
  bearerJwt: { caller: 'user', apiKeyRequired: false, browsers: true, authorizationType: 'NONE' },
  /**
   * `x-api-key`, checked by API Gateway against the key's usage plan before the function runs; the
   * function reads the key's id. Partners' servers only: a key must never ship in an app or a page.
   */
  apiKey: { caller: 'partner', apiKeyRequired: true, browsers: false, authorizationType: 'NONE' },
  /**
   * AWS Signature Version 4 with the operator's own AWS credentials (`execute-api:Invoke` on the admin
   * routes), checked by API Gateway; the function reads the caller's IAM identity. Operators' tools only.
   */
  awsIam: { caller: 'operator', apiKeyRequired: false, browsers: false, authorizationType: 'AWS_IAM' },
} as const;

export type Credentials = keyof typeof CREDENTIALS;

/**
 * The functions behind the API: `vend` lists streams and vends session URLs (small and quick, its bundle
 * and cold start kept lean); `media` makes clips and images (S3, longer calls, more memory); `admin` serves
 * operators and is the only one that may change grants and revocations (least privilege).
 */
export const FUNCTIONS = ['vend', 'media', 'admin'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/**
 * What the vend and media functions do for a route (one handler, `lambda/vend/create-handler.ts`): list
 * streams, vend a session URL, a clip URL, or images.
 */
export type VendAction = 'list' | 'vend' | 'clip' | 'images';
/** What the admin function does for a route. */
export type AdminAction =
  'listGrants' | 'getGrant' | 'putGrant' | 'deleteGrant' | 'revoke' | 'unrevoke' | 'listSessions';
export type RouteAction = VendAction | AdminAction;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RouteBase {
  readonly method: HttpMethod;
  /** The API Gateway resource template (`event.resource`): `{name}` segments are path parameters. */
  readonly resource: string;
  readonly credentials: Credentials;
  /** The JSON body the route takes, validated by API Gateway (shapes) and by the function (rules). */
  readonly requestBody?: BodySchema;
  /** Query string parameters the route reads, all optional; any other is ignored. */
  readonly queryParameters?: readonly string[];
}

export interface VendRoute extends RouteBase {
  readonly action: VendAction;
}

export interface AdminRoute extends RouteBase {
  readonly action: AdminAction;
}

export type Route = VendRoute | AdminRoute;

/** The routes of one function: the admin function's, or those of the handler of vend and media. */
export type RouteOf<F extends FunctionName> = F extends 'admin' ? AdminRoute : VendRoute;

/** The path of the admin API's routes. */
export const ADMIN_PREFIX = '/admin/v1';

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
  {
    method: 'GET',
    resource: `${ADMIN_PREFIX}/principals/{principal}/grants`,
    credentials: 'awsIam',
    action: 'listGrants',
  },
  {
    method: 'GET',
    resource: `${ADMIN_PREFIX}/principals/{principal}/grants/{grantId}`,
    credentials: 'awsIam',
    action: 'getGrant',
  },
  {
    method: 'PUT',
    resource: `${ADMIN_PREFIX}/principals/{principal}/grants/{grantId}`,
    credentials: 'awsIam',
    action: 'putGrant',
    requestBody: GRANT_REQUEST,
  },
  {
    method: 'DELETE',
    resource: `${ADMIN_PREFIX}/principals/{principal}/grants/{grantId}`,
    credentials: 'awsIam',
    action: 'deleteGrant',
  },
  {
    method: 'PUT',
    resource: `${ADMIN_PREFIX}/principals/{principal}/revocation`,
    credentials: 'awsIam',
    action: 'revoke',
    requestBody: REVOCATION_REQUEST,
  },
  {
    method: 'DELETE',
    resource: `${ADMIN_PREFIX}/principals/{principal}/revocation`,
    credentials: 'awsIam',
    action: 'unrevoke',
  },
  {
    method: 'GET',
    resource: `${ADMIN_PREFIX}/sessions`,
    credentials: 'awsIam',
    action: 'listSessions',
    queryParameters: ['stream', 'principal', 'limit', 'nextToken'],
  },
];

/**
 * The function behind each action (the stack's integrations, the local stack's pools and each handler's
 * `serves` follow it): a function answers only its own routes.
 */
export const FUNCTION_OF_ACTION = {
  list: 'vend',
  vend: 'vend',
  clip: 'media',
  images: 'media',
  listGrants: 'admin',
  getGrant: 'admin',
  putGrant: 'admin',
  deleteGrant: 'admin',
  revoke: 'admin',
  unrevoke: 'admin',
  listSessions: 'admin',
} as const satisfies Readonly<Record<RouteAction, FunctionName>>;

/** The function that serves a route. */
export function functionOf(route: Pick<Route, 'action'>): FunctionName {
  return FUNCTION_OF_ACTION[route.action];
}

/** The routes one function serves. */
export function routesOf<F extends FunctionName>(name: F): readonly RouteOf<F>[] {
  return ROUTES.filter((route): route is RouteOf<F> => functionOf(route) === name);
}

/** The names of the path parameters of a resource template, in order. */
export function pathParametersOf(resource: string): string[] {
  return [...resource.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}
