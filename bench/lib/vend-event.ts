import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildLambdaContext, proxyRequestContext } from '../../local/api-gateway/proxy-event';
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
    requestContext: proxyRequestContext({
      requestId,
      method: 'POST',
      path,
      resource: '/v1/streams/{streamName}/playback-url',
      receivedAt: Date.now(),
      sourceIp: '127.0.0.1',
      userAgent: 'kvs-url-vending-bench',
      domainName: headers.Host,
      stage: 'bench',
    }),
  };
}

export function lambdaContext(): Context {
  return buildLambdaContext(randomUUID(), 10_000, Date.now);
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
