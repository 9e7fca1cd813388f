import type { APIGatewayProxyEvent } from 'aws-lambda';
import { routesOf, type Route } from '../contract';
import { MethodNotAllowedError, NotFoundRouteError } from './http-errors';

export interface Router<R extends Route> {
  /** Whether `resource` is one of these routes' resource templates (safe to log as it is). */
  isKnownRoute(resource: string | undefined): boolean;
  /**
   * The route of an event, by its resource template and method. API Gateway answers unknown routes and
   * methods and the preflights itself; these errors answer them only when the function is invoked directly.
   */
  matchRoute(event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>): R;
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
      const route = methods.get(event.httpMethod.toUpperCase());
      if (!route) {
        throw new MethodNotAllowedError(
          'This method is not allowed on this route.',
          [...methods.keys()].join(', '),
        );
      }
      return route;
    },
  };
}

/**
 * The routes of the vend and media functions (one handler, which answers only those of the function it
 * `serves`); the admin function's are not among them.
 */
const vendRouter = createRouter([...routesOf('vend'), ...routesOf('media')]);

export const isKnownRoute: Router<Route>['isKnownRoute'] = (resource) => vendRouter.isKnownRoute(resource);
export const matchRoute = (event: Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod'>) =>
  vendRouter.matchRoute(event);
