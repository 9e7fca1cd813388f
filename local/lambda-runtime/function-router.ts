import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { functionOf, ROUTES, type FunctionName } from '../../lambda/contract';
import { buildLambdaContext } from '../api-gateway/proxy-event';
import type { FunctionIdentity } from './instance-pool';

/** One function of the API as the gateway invokes it: its instance pool, its name and its timeout. */
export interface LocalFunction {
  readonly handler: (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;
  readonly identity: FunctionIdentity;
  readonly timeoutMs: number;
}

/** The functions of the vend handler (`lambda/vend/create-handler.ts`); the admin function has a pool of its own. */
type VendHandlerFunction = Exclude<FunctionName, 'admin'>;

const FUNCTION_OF_RESOURCE = new Map<string, FunctionName>(
  ROUTES.map((route) => [route.resource, functionOf(route)]),
);

/**
 * The integrations of the local API: each route goes to the function the contract names for its action
 * (`FUNCTION_OF_ACTION`), as the stack wires its methods, with a context of that function (its name,
 * memory and timeout).
 */
export function routeToFunctions(
  functions: Readonly<Record<VendHandlerFunction, LocalFunction>>,
  now: () => number = Date.now,
): (event: APIGatewayProxyEvent, context: Context) => Promise<unknown> {
  return (event, context) => {
    const fn = FUNCTION_OF_RESOURCE.get(event.resource);
    const target = functions[fn === 'media' ? 'media' : 'vend'];
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    return target.handler(event, buildLambdaContext(requestId, target.timeoutMs, now, target.identity));
  };
}
