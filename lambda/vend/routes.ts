import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ROUTES, type Route } from '../contract';
import { MethodNotAllowedError, NotFoundRouteError } from './http-errors';

/** The contract's routes by API Gateway resource template (`event.resource`), then by method. */
const ROUTES_BY_RESOURCE = new Map<string, ReadonlyMap<string, Route>>();
for (const route of ROUTES) {
  const methods = new Map(ROUTES_BY_RESOURCE.get(route.resource));
  methods.set(route.method, route);
  ROUTES_BY_RESOURCE.set(route.resource, methods);
}

/** Whether `resource` is one of the API's resource templates (safe to log as it is). */
export function isKnownRoute(resource: string | undefined): boolean {
  return resource !== undefined && ROUTES_BY_RESOURCE.has(resource);
}

export type RouteMatch =
  { readonly kind: 'route'; readonly route: Route } | { readonly kind: 'preflight'; readonly allow: string };

export function matchRoute(event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>): RouteMatch {
  const methods = ROUTES_BY_RESOURCE.get(event.resource);
  if (!methods) throw new NotFoundRouteError('No such route.');
  const allow = [...methods.keys(), 'OPTIONS'].join(', ');
  const method = event.httpMethod.toUpperCase();
  if (method === 'OPTIONS') return { kind: 'preflight', allow };
  const route = methods.get(method);
  if (!route) throw new MethodNotAllowedError('This method is not allowed on this route.', allow);
  return { kind: 'route', route };
}
