import type { APIGatewayProxyEvent } from 'aws-lambda';
import { routesOf, type Route } from '../contract';
import { MethodNotAllowedError, NotFoundRouteError } from './http-errors';

export type RouteMatch<R extends Route = Route> =
  { readonly kind: 'route'; readonly route: R } | { readonly kind: 'preflight'; readonly allow: string };

export interface Router<R extends Route> {
  /** Whether `resource` is one of these routes' resource templates (safe to log as it is). */
  isKnownRoute(resource: string | undefined): boolean;
  /** The route of an event, or a preflight; throws NotFoundRouteError / MethodNotAllowedError. */
  matchRoute(event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>): RouteMatch<R>;
}

/** Routing of one function's routes (of the contract) by API Gateway resource template, then by method. */
export function createRouter<R extends Route>(routes: readonly R[]): Router<R> {
  const byResource = new Map<string, ReadonlyMap<string, R>>();
  for (const route of routes) {
    const methods = new Map(byResource.get(route.resource));
    methods.set(route.method, route);
    byResource.set(route.resource, methods);
  }
  return {
    isKnownRoute: (resource) => resource !== undefined && byResource.has(resource),
    matchRoute(event) {
      const methods = byResource.get(event.resource);
      if (!methods) throw new NotFoundRouteError('No such route.');
      const allow = [...methods.keys(), 'OPTIONS'].join(', ');
      const method = event.httpMethod.toUpperCase();
      if (method === 'OPTIONS') return { kind: 'preflight', allow };
      const route = methods.get(method);
      if (!route) throw new MethodNotAllowedError('This method is not allowed on this route.', allow);
      return { kind: 'route', route };
    },
  };
}

/** The vend function's routes. */
const vendRouter = createRouter(routesOf('vend'));

export const isKnownRoute = vendRouter.isKnownRoute;
export const matchRoute = vendRouter.matchRoute;
