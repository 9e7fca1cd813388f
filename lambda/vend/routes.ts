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

/**
 * The route of an event, by its resource template and method. API Gateway answers unknown routes and
 * methods and the preflights itself; these errors answer them only when the function is invoked directly.
 */
export function matchRoute(event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>): Route {
  const methods = ROUTES_BY_RESOURCE.get(event.resource);
  if (!methods) throw new NotFoundRouteError('No such route.');
  const route = methods.get(event.httpMethod.toUpperCase());
  if (!route) {
    throw new MethodNotAllowedError(
      'This method is not allowed on this route.',
      [...methods.keys()].join(', '),
    );
  }
  return route;
}
