import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { FunctionName } from '../../lambda/contract';
import { MEDIA_FUNCTION_MEMORY_MB } from '../../lambda/vend/media-config';
import type { IamIdentity } from './iam-authorization';
import type { RouteMatch } from './routes';

const LOCAL_STAGE = 'local';
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'localapi00';

/** The local function as Lambda would name it: the context and the instances' environment say the same. */
export const LOCAL_FUNCTION = {
  functionName: 'kvs-url-vending-local-vend',
  functionVersion: '$LATEST',
  /** As deployed (`memorySize`, default 512). */
  memorySizeMb: 512,
  logGroupName: '/aws/lambda/kvs-url-vending-local-vend',
} as const;

/** The local admin function, likewise. */
export const LOCAL_ADMIN_FUNCTION = {
  functionName: 'kvs-url-vending-local-admin',
  functionVersion: '$LATEST',
  /** As deployed (the admin function's 256 MB). */
  memorySizeMb: 256,
  logGroupName: '/aws/lambda/kvs-url-vending-local-admin',
} as const;

/** The local media function (clips and images), named as Lambda would name it. */
export const LOCAL_MEDIA_FUNCTION = {
  functionName: 'kvs-url-vending-local-media',
  functionVersion: '$LATEST',
  memorySizeMb: MEDIA_FUNCTION_MEMORY_MB,
  logGroupName: '/aws/lambda/kvs-url-vending-local-media',
} as const;

export const LOCAL_FUNCTIONS: Readonly<Record<FunctionName, FunctionIdentityOf>> = {
  vend: LOCAL_FUNCTION,
  media: LOCAL_MEDIA_FUNCTION,
  admin: LOCAL_ADMIN_FUNCTION,
};

export interface FunctionIdentityOf {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memorySizeMb: number;
  readonly logGroupName: string;
}

export interface ProxyEventInput {
  request: IncomingMessage;
  match: RouteMatch;
  path: string;
  searchParams: URLSearchParams;
  body: Buffer;
  requestId: string;
  /** Epoch ms the request arrived. */
  receivedAt: number;
  /** Set on partner routes once the key was accepted. */
  apiKey?: { value: string; id: string };
  /** Set on AWS_IAM routes once the signature was accepted: the caller's IAM identity. */
  iam?: IamIdentity;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the REST API (v1) Lambda proxy event API Gateway would send for this request: headers keep the
 * case the client used, single-value maps hold the last value, and a body that is not UTF-8 travels
 * base64-encoded.
 */
export function buildProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { request, match, searchParams } = input;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    const value = request.rawHeaders[index + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }

  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of searchParams) {
    query[name] = value;
    (multiValueQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;

  let body: string | null = null;
  let isBase64Encoded = false;
  if (input.body.length > 0) {
    try {
      body = utf8.decode(input.body);
    } catch {
      body = input.body.toString('base64');
      isBase64Encoded = true;
    }
  }

  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const userAgent = request.headers['user-agent'] ?? null;
  return {
    resource: match.route.resource,
    path: input.path,
    httpMethod: match.route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: proxyRequestContext({
      requestId: input.requestId,
      method: match.route.method,
      path: input.path,
      resource: match.route.resource,
      receivedAt: input.receivedAt,
      sourceIp,
      userAgent,
      domainName: request.headers.host ?? '127.0.0.1',
      protocol: `HTTP/${request.httpVersion}`,
      ...(input.apiKey ? { apiKey: input.apiKey } : {}),
      ...(input.iam ? { iam: input.iam } : {}),
    }),
  };
}

export interface RequestContextInput {
  readonly requestId: string;
  readonly method: string;
  /** The request path, without the stage. */
  readonly path: string;
  /** The resource template, e.g. `/v1/streams/{streamName}/playback-url`. */
  readonly resource: string;
  /** Epoch ms the request arrived. */
  readonly receivedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string | null;
  readonly domainName?: string;
  readonly stage?: string;
  readonly protocol?: string;
  /** Set on partner routes once API Gateway accepted the key. */
  readonly apiKey?: { readonly value: string | null; readonly id: string | null };
  /** Set on AWS_IAM routes once API Gateway accepted the signature. */
  readonly iam?: IamIdentity;
}

/**
 * The `requestContext` of a REST API (v1) proxy event: the one place that knows its shape, shared by the
 * local API Gateway, the benchmarks and the handler tests.
 */
export function proxyRequestContext(input: RequestContextInput): APIGatewayProxyEvent['requestContext'] {
  const stage = input.stage ?? LOCAL_STAGE;
  const domainName = input.domainName ?? '127.0.0.1';
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
    authorizer: null,
    domainName,
    domainPrefix: domainName.split('.')[0],
    extendedRequestId: input.requestId,
    httpMethod: input.method,
    identity: {
      accessKey: input.iam?.accessKey ?? null,
      accountId: input.iam?.accountId ?? null,
      apiKey: input.apiKey?.value ?? null,
      apiKeyId: input.apiKey?.id ?? null,
      caller: input.iam?.caller ?? null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: input.sourceIp,
      user: input.iam?.user ?? null,
      userAgent: input.userAgent,
      userArn: input.iam?.userArn ?? null,
    },
    path: `/${stage}${input.path}`,
    protocol: input.protocol ?? 'HTTP/1.1',
    requestId: input.requestId,
    requestTime: formatRequestTime(input.receivedAt),
    requestTimeEpoch: input.receivedAt,
    resourceId: input.resource,
    resourcePath: input.resource,
    stage,
  };
}

/**
 * A Lambda context for one invocation of a function (by name, or by its identity; default the vend
 * function); the deadline mirrors the function timeout.
 */
export function buildLambdaContext(
  requestId: string,
  timeoutMs: number,
  now: () => number,
  fn: FunctionName | FunctionIdentityOf = 'vend',
): Context {
  const deadline = now() + timeoutMs;
  const { functionName, functionVersion, memorySizeMb, logGroupName } =
    typeof fn === 'string' ? LOCAL_FUNCTIONS[fn] : fn;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memorySizeMb),
    awsRequestId: randomUUID(),
    logGroupName,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `25/Nov/2026:12:00:00 +0000`, the format of `requestContext.requestTime`. */
function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

export function newRequestId(): string {
  return randomUUID();
}
