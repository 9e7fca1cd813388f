import {
  CREDENTIALS,
  pathParametersOf,
  ROUTES as CONTRACT_ROUTES,
  ROUTING_ANSWERS,
  type BodySchema,
  type Credentials,
  type EdgeAnswer,
  functionOf,
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
  /** Browsers hold the route's credentials: its resource answers preflights. */
  browsers: boolean;
  /** The body API Gateway's request validator checks against its model. */
  requestBody?: BodySchema;
  /** Names of the path parameters of `resource`, in order. */
  parameters: readonly string[];
}

/**
 * The methods of the REST API, as deployed: the contract's routes (`lambda/contract/routes.ts`;
 * docs/ARCHITECTURE.md, "Where the contract lives").
 */
const ROUTES: readonly Route[] = CONTRACT_ROUTES.map((contract) => ({
  method: contract.method,
  resource: contract.resource,
  credentials: contract.credentials,
  apiKeyRequired: CREDENTIALS[contract.credentials].apiKeyRequired,
  awsIam: CREDENTIALS[contract.credentials].authorizationType === 'AWS_IAM',
  function: functionOf(contract),
  browsers: CREDENTIALS[contract.credentials].browsers,
  parameters: pathParametersOf(contract.resource),
  ...(contract.requestBody ? { requestBody: contract.requestBody } : {}),
}));

/** Every resource of the API (each route's resource and the ones above it), with the routes it has. */
const RESOURCES = new Map<string, Route[]>([['/', []]]);
for (const route of ROUTES) {
  const segments = route.resource.split('/').slice(1);
  segments.forEach((_, index) => {
    const path = `/${segments.slice(0, index + 1).join('/')}`;
    if (!RESOURCES.has(path)) RESOURCES.set(path, []);
  });
  RESOURCES.get(route.resource)!.push(route);
}

export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string> | null;
}

/** Where API Gateway sends a request, as the stack builds the API (`lib/constructs/vend-api.ts`). */
export type Resolution =
  | { readonly kind: 'route'; readonly match: RouteMatch }
  /** OPTIONS on a browser route's resource, once origins are configured: the MOCK preflight. */
  | { readonly kind: 'preflight'; readonly methods: readonly string[] }
  /** The MOCK `ANY` of a resource, or `/{proxy+}`: 404, or 405 with the methods the resource takes. */
  | { readonly kind: 'answer'; readonly answer: EdgeAnswer; readonly allow?: readonly string[] };

/**
 * Resolves a request as API Gateway does: the resource whose path matches (a literal segment before a
 * path parameter), then the method; OPTIONS goes to the resource's preflight, any other method to its
 * `ANY` (405, or 404 on a resource without methods), and a path the API does not have to `/{proxy+}`
 * (404). A path parameter that does not decode matches nothing.
 */
export function resolveRequest(method: string, path: string, preflights: boolean): Resolution {
  const found = findResource(path);
  if (!found) return { kind: 'answer', answer: ROUTING_ANSWERS.NO_ROUTE };
  const routes = RESOURCES.get(found.resource)!;
  const route = routes.find((candidate) => candidate.method === method);
  if (route) {
    return {
      kind: 'route',
      match: { route, pathParameters: route.parameters.length > 0 ? found.parameters : null },
    };
  }
  const methods = routes.map((candidate) => candidate.method);
  if (method === 'OPTIONS' && preflights && routes.some((candidate) => candidate.browsers)) {
    return { kind: 'preflight', methods };
  }
  return methods.length > 0
    ? { kind: 'answer', answer: ROUTING_ANSWERS.NO_METHOD, allow: methods }
    : { kind: 'answer', answer: ROUTING_ANSWERS.NO_ROUTE };
}

function findResource(path: string): { resource: string; parameters: Record<string, string> } | undefined {
  if (path === '/') return { resource: '/', parameters: {} };
  const segments = path.split('/').slice(1);
  let best: { resource: string; parameters: Record<string, string>; literals: string } | undefined;
  for (const resource of RESOURCES.keys()) {
    const template = resource.split('/').slice(1);
    if (resource === '/' || template.length !== segments.length) continue;
    const parameters: Record<string, string> = {};
    let literals = '';
    const matches = template.every((part, index) => {
      const segment = segments[index]!;
      if (segment === '') return false;
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name === undefined) {
        literals += '1';
        return part === segment;
      }
      literals += '0';
      try {
        parameters[name] = decodeURIComponent(segment);
        return true;
      } catch {
        return false;
      }
    });
    // Of two matching resources, the one with a literal segment where the other has a parameter wins.
    if (matches && (!best || literals > best.literals)) best = { resource, parameters, literals };
  }
  return best && { resource: best.resource, parameters: best.parameters };
}
