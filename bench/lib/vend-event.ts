import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AttemptOutcome } from './closed-loop';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The REST (v1) proxy event API Gateway sends for `POST /v1/streams/{streamName}/playback-url`. */
export function playbackUrlEvent(
  streamName: string,
  token: string,
  body: Record<string, unknown> = {},
): APIGatewayProxyEvent {
  const requestId = randomUUID();
  const path = `/v1/streams/${encodeURIComponent(streamName)}/playback-url`;
  const headers = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    Host: 'bench.execute-api.us-east-1.amazonaws.com',
  };
  return {
    resource: '/v1/streams/{streamName}/playback-url',
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { streamName },
    stageVariables: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'benchapi00',
      authorizer: null,
      domainName: headers.Host,
      domainPrefix: 'bench',
      extendedRequestId: requestId,
      httpMethod: 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'kvs-url-vending-bench',
        userArn: null,
      },
      path: `/bench${path}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: new Date().toUTCString(),
      requestTimeEpoch: Date.now(),
      resourceId: 'bench',
      resourcePath: '/v1/streams/{streamName}/playback-url',
      stage: 'bench',
    },
  };
}

export function lambdaContext(): Context {
  const functionName = 'kvs-url-vending-bench-vend';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Status and Retry-After of a proxy result, for the closed-loop callers. */
export function outcomeOf(result: APIGatewayProxyResult): AttemptOutcome {
  const retryAfter = Object.entries(result.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'retry-after',
  )?.[1];
  const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
  return Number.isFinite(seconds)
    ? { status: result.statusCode, retryAfterSeconds: seconds }
    : { status: result.statusCode };
}
