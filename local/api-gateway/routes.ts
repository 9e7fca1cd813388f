import { CREDENTIALS, pathParametersOf, ROUTES as CONTRACT_ROUTES } from '../../lambda/contract';

export interface Route {
  method: 'GET' | 'POST';
  /** The API Gateway resource template, e.g. `/v1/streams/{streamName}/playback-url`. */
  resource: string;
  /** Partner routes require an API key (and count against its usage plan). */
  apiKeyRequired: boolean;
  pattern: RegExp;
  /** Names of the path parameters captured by `pattern`, in order. */
  parameters: readonly string[];
}

function route(method: Route['method'], resource: string, apiKeyRequired: boolean): Route {
  const source = resource
    .split('/')
    .map((segment) =>
      /^\{\w+\}$/.test(segment) ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  const parameters = pathParametersOf(resource);
  return { method, resource, apiKeyRequired, pattern: new RegExp(`^${source}$`), parameters };
}

/**
 * The methods of the REST API, as deployed: the contract's routes (`lambda/contract/routes.ts`;
 * docs/ARCHITECTURE.md, "Where the contract lives").
 */
const ROUTES: readonly Route[] = CONTRACT_ROUTES.map(({ method, resource, credentials }) =>
  route(method, resource, CREDENTIALS[credentials].apiKeyRequired),
);

export interface RouteMatch {
  route: Route;
  /** The route's method, or OPTIONS: CORS preflights of every resource go to the function too. */
  method: Route['method'] | 'OPTIONS';
  pathParameters: Record<string, string> | null;
}

/**
 * Finds the method for a request path. As in API Gateway, a path or method the API does not define is
 * not found (the caller then gets 403 Missing Authentication Token). A parameter that does not decode is
 * treated as not matching rather than passed on half-decoded.
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const candidate of ROUTES) {
    if (candidate.method !== method && method !== 'OPTIONS') continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const matchedMethod = method === 'OPTIONS' ? 'OPTIONS' : candidate.method;
    if (candidate.parameters.length === 0) {
      return { route: candidate, method: matchedMethod, pathParameters: null };
    }
    const pathParameters: Record<string, string> = {};
    try {
      candidate.parameters.forEach((name, index) => {
        pathParameters[name] = decodeURIComponent(match[index + 1]!);
      });
    } catch {
      return undefined;
    }
    return { route: candidate, method: matchedMethod, pathParameters };
  }
  return undefined;
}
