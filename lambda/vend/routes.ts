import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundRouteError } from '../core/errors';

export interface Route {
  /** Who calls it: a user with a bearer JWT, or a partner whose API key API Gateway has checked. */
  readonly audience: 'user' | 'partner';
  readonly action: 'list' | 'vend';
}

/** API Gateway resource templates (`event.resource`) and their methods. */
const ROUTES: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  '/v1/streams': { GET: { audience: 'user', action: 'list' } },
  '/v1/streams/{streamName}/playback-url': { POST: { audience: 'user', action: 'vend' } },
  '/partner/v1/streams': { GET: { audience: 'partner', action: 'list' } },
  '/partner/v1/streams/{streamName}/playback-url': { POST: { audience: 'partner', action: 'vend' } },
};

/** Whether `resource` is one of the API's resource templates (safe to log as it is). */
export function isKnownRoute(resource: string | undefined): boolean {
  return resource !== undefined && Object.hasOwn(ROUTES, resource);
}

export type RouteMatch =
  { readonly kind: 'route'; readonly route: Route } | { readonly kind: 'preflight'; readonly allow: string };

export function matchRoute(event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>): RouteMatch {
  const methods = Object.hasOwn(ROUTES, event.resource) ? ROUTES[event.resource] : undefined;
  if (!methods) throw new NotFoundRouteError('No such route.');
  const allow = [...Object.keys(methods), 'OPTIONS'].join(', ');
  const method = event.httpMethod.toUpperCase();
  if (method === 'OPTIONS') return { kind: 'preflight', allow };
  const route = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (!route) throw new MethodNotAllowedError('This method is not allowed on this route.', allow);
  return { kind: 'route', route };
}
