import {
  CREDENTIALS,
  pathParametersOf,
  ROUTES as CONTRACT_ROUTES,
  type Credentials,
  type FunctionName,
  type HttpMethod,
} from '../../lambda/contract';

export interface Route {
  method: HttpMethod;
  /** The API Gateway resource template, e.g. `/v1/streams/{streamName}/playback-url`. */
  resource: string;
  credentials: Credentials;
  /** Partner routes require an API key (and count against its usage plan). */
  apiKeyRequired: boolean;
  /** Admin routes require AWS Signature Version 4 (API Gateway's AWS_IAM authorization). */
  awsIam: boolean;
  /** The function the route's integration invokes. */
  function: FunctionName;
  pattern: RegExp;
  /** Names of the path parameters captured by `pattern`, in order. */
  parameters: readonly string[];
}

function route(method: HttpMethod, resource: string, credentials: Credentials, fn: FunctionName): Route {
  const source = resource
    .split('/')
    .map((segment) =>
      /^\{\w+\}$/.test(segment) ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  const parameters = pathParametersOf(resource);
  return {
    method,
    resource,
    credentials,
    apiKeyRequired: CREDENTIALS[credentials].apiKeyRequired,
    awsIam: CREDENTIALS[credentials].authorizationType === 'AWS_IAM',
    function: fn,
    pattern: new RegExp(`^${source}$`),
    parameters,
  };
}

/**
 * The methods of the REST API, as deployed: the contract's routes (`lambda/contract/routes.ts`;
 * docs/ARCHITECTURE.md, "Where the contract lives").
 */
const ROUTES: readonly Route[] = CONTRACT_ROUTES.map((contract) =>
  route(contract.method, contract.resource, contract.credentials, contract.function),
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
    // The admin routes have no OPTIONS method: no browser calls them.
    if (method === 'OPTIONS' && candidate.awsIam) continue;
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
