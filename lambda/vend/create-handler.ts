import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Admission } from '../core/admission';
import { callerFromApiKeyId, callerFromClaims, DEFAULT_GROUPS_CLAIMS } from '../core/caller';
import { ForbiddenError, UnauthenticatedError } from '../core/errors';
import { listPlayableStreams } from '../core/list-playable-streams';
import type { Caller, PlayableStream, VendResult } from '../core/model';
import type { Clock, GrantStore, KvsPort, TokenVerifier } from '../core/ports';
import { vendPlaybackUrl, type SessionCap } from '../core/vend-playback-url';
import { isAllowedOrigin, jsonResponse, responseHeaders } from '../shared/http-errors';
import { bearerToken, jsonBody } from './http-request';
import { correlationId, httpErrors, publishMetrics, responseContextOf } from './middlewares';
import { matchRoute, type Route } from './routes';

export interface VendHandlerDeps {
  readonly verifier: TokenVerifier;
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Abuse controls applied to authorized vends before KVS is called. */
  readonly admission?: Admission;
  /** Optional cap on concurrent sessions per user. */
  readonly sessions?: SessionCap;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** JWT claims holding the caller's groups, first present wins. Default `cognito:groups`, `groups`. */
  readonly groupsClaims?: readonly string[];
  /** Exact origins that get CORS headers. Default none. */
  readonly allowedOrigins?: readonly string[];
  /** Default 8192. */
  readonly maxBodyBytes?: number;
}

export type VendHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const DEFAULT_MAX_BODY_BYTES = 8192;
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** Epoch ms as RFC 3339 in UTC, without a fractional part when there is none. */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * The vend function behind the real middy stack (logger context and correlation id, metrics, error
 * mapping), with its ports injected: the module `handler.ts` wires it from the environment, tests and
 * the local stack wire it with what they need.
 */
export function createHandler(deps: VendHandlerDeps): VendHandler {
  const logger = deps.logger ?? new Logger();
  const metrics = deps.metrics ?? new Metrics();
  const clock = deps.clock ?? { now: () => Date.now() };
  const groupsClaims = deps.groupsClaims ?? DEFAULT_GROUPS_CLAIMS;
  const allowedOrigins = deps.allowedOrigins ?? [];
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const core = {
    grants: deps.grants,
    kvs: deps.kvs,
    clock,
    ...(deps.admission ? { admission: deps.admission } : {}),
    ...(deps.sessions ? { sessions: deps.sessions } : {}),
  };

  const authenticate = async (route: Route, event: APIGatewayProxyEvent): Promise<Caller> => {
    if (route.audience === 'partner') return callerFromApiKeyId(event.requestContext?.identity?.apiKeyId);
    const claims = await deps.verifier.verify(bearerToken(event));
    return callerFromClaims(claims, groupsClaims);
  };

  const routeHandler = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const responseContext = responseContextOf(event, context, allowedOrigins);
    const match = matchRoute(event);
    if (match.kind === 'preflight') {
      const headers = responseHeaders(responseContext);
      if (isAllowedOrigin(responseContext)) {
        headers['Access-Control-Allow-Methods'] = match.allow;
        headers['Access-Control-Allow-Headers'] = 'Authorization, Content-Type, X-Api-Key';
        headers['Access-Control-Max-Age'] = PREFLIGHT_MAX_AGE_SECONDS;
      }
      return { statusCode: 204, headers: { ...headers, Allow: match.allow }, body: '' };
    }

    const audit = {
      requestId: responseContext.requestId,
      sourceIp: event.requestContext?.identity?.sourceIp,
      route: `${event.httpMethod} ${event.resource}`,
    };
    let caller: Caller;
    try {
      caller = await authenticate(match.route, event);
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        logger.info('Request not authenticated', { audit: { ...audit, outcome: 'unauthenticated' } });
      }
      throw error;
    }
    const principal = caller.principals[0];

    if (match.route.action === 'list') {
      const streams = await listPlayableStreams(core, caller);
      return jsonResponse(200, { streams: streams.map(toStreamBody) }, responseContext);
    }

    const streamName = event.pathParameters?.streamName ?? '';
    let result: VendResult;
    try {
      result = await vendPlaybackUrl(core, { caller, streamName, body: jsonBody(event, maxBodyBytes) });
    } catch (error) {
      if (error instanceof ForbiddenError) {
        metrics.addMetric('Denials', MetricUnit.Count, 1);
        logger.warn('Playback denied', {
          audit: { ...audit, outcome: 'denied', principal, stream: streamName },
        });
      }
      throw error;
    }
    metrics.addMetric('Vends', MetricUnit.Count, 1);
    // The URL carries a bearer token: it goes to the caller and nowhere else.
    logger.info('Playback URL vended', {
      audit: {
        ...audit,
        outcome: 'vended',
        principal,
        grantPrincipal: result.grantPrincipal,
        stream: result.stream,
        protocol: result.protocol,
        playbackMode: result.playbackMode,
        window: {
          ...(result.start !== undefined ? { start: rfc3339(result.start) } : {}),
          ...(result.end !== undefined ? { end: rfc3339(result.end) } : {}),
        },
        expiresAt: rfc3339(result.expiresAt),
        expiresInSeconds: result.expiresInSeconds,
      },
    });
    return jsonResponse(200, toVendBody(result), responseContext);
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(correlationId(logger))
    .use(publishMetrics(metrics))
    .use(httpErrors({ logger, allowedOrigins }))
    .handler(routeHandler);
}

function toVendBody(result: VendResult): Record<string, unknown> {
  return {
    url: result.url,
    protocol: result.protocol,
    stream: result.stream,
    playbackMode: result.playbackMode,
    expiresAt: rfc3339(result.expiresAt),
    expiresInSeconds: result.expiresInSeconds,
    ...(result.start !== undefined ? { start: rfc3339(result.start) } : {}),
    ...(result.end !== undefined ? { end: rfc3339(result.end) } : {}),
  };
}

function toStreamBody(stream: PlayableStream): Record<string, unknown> {
  return {
    stream: stream.stream,
    playbackModes: stream.playbackModes,
    protocols: stream.protocols,
    maxExpiresInSeconds: stream.maxExpiresInSeconds,
    ...(stream.archiveWindowSeconds !== undefined
      ? { archiveWindowSeconds: stream.archiveWindowSeconds }
      : {}),
    ...(stream.notAfter !== undefined ? { notAfter: rfc3339(stream.notAfter) } : {}),
  };
}
