import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  FUNCTION_OF_ACTION,
  MAX_REQUEST_BODY_BYTES,
  STREAM_NAME_PATTERN,
  type FunctionName,
  type VendRoute,
} from '../contract';
import type { Admission } from '../core/admission';
import { callerFromApiKeyId, callerFromClaims, DEFAULT_GROUPS_CLAIMS } from '../core/caller';
import { ExpiredTokenError, failureOf } from '../core/errors';
import { listPlayableStreams } from '../core/list-playable-streams';
import type { ClipUrlResult, ImagesResult, MediaInput } from '../core/media/vend-media';
import { DEFAULT_LIVE_MAX_FRAGMENTS, type Caller, type PlayableStream, type VendResult } from '../core/model';
import type { Clock, GrantStore, KvsPort, TokenVerifier } from '../core/ports';
import { vendPlaybackUrl, type Sessions } from '../core/vend-playback-url';
import { DEFAULT_KVS_RETRY_BUDGET_MS } from './config';
import { clipAudit, imagesAudit, rfc3339, toClipBody, toImagesBody } from './media-responses';
import { jsonResponse, type ResponseContext } from './responses';
import { bearerToken, header, jsonBody } from './http-request';
import { NotFoundRouteError } from './http-errors';
import {
  correlationId,
  httpErrors,
  publishMetrics,
  refusals,
  requestIdOf,
  responseContextOf,
  type Refusal,
  type RefusalFacts,
} from './middlewares';
import { isKnownRoute, matchRoute } from './routes';

export interface VendHandlerDeps {
  readonly verifier: TokenVerifier;
  readonly grants: GrantStore;
  readonly kvs: KvsPort;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Admission of authorized vends before KVS is called (caller limit, stream share). */
  readonly admission?: Admission;
  /** The session log every vend is recorded in, and the optional cap on concurrent sessions per user. */
  readonly sessions?: Sessions;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** JWT claim holding the caller's groups (of several, the first present wins). Default `groups`. */
  readonly groupsClaims?: readonly string[];
  /** Exact origins that get CORS headers. Default none. */
  readonly allowedOrigins?: readonly string[];
  /** Default MAX_REQUEST_BODY_BYTES of the contract. */
  readonly maxBodyBytes?: number;
  /** The most fragments a LIVE session lists. Default 10. */
  readonly liveMaxFragments?: number;
  /**
   * The KVS retry budget: KVS may start a session this long after the call begins, so sessions are
   * shortened by it to end before their grant's notAfter. Default DEFAULT_KVS_RETRY_BUDGET_MS.
   */
  readonly sessionStartSlackMs?: number;
  /**
   * Time kept back from the Lambda invocation's time left to answer when KVS is slow: to give a session
   * slot back (an admission table call) and to write the answer and its audit line. KVS gets what is
   * left of the invocation less this, so the function answers before Lambda ends it. Default
   * DEFAULT_ANSWER_MARGIN_MS.
   */
  readonly answerMarginMs?: number;
  /**
   * The function this handler is (lambda/contract `FUNCTION_OF_ACTION`): a route of another function
   * answers 404, as if this function did not know it. Default `vend`. The admin function has a handler of
   * its own (`lambda/admin/create-handler.ts`).
   */
  readonly serves?: Exclude<FunctionName, 'admin'>;
  /** Clips and images (the media function): the core's use cases, wired with S3 and KVS archived media. */
  readonly media?: MediaActions;
}

export interface MediaActions {
  clipUrl(input: MediaInput): Promise<ClipUrlResult>;
  images(input: MediaInput): Promise<ImagesResult>;
}

/** The admission table's default deadline (to give a slot back) and a quarter of a second to answer. */
export const DEFAULT_ANSWER_MARGIN_MS = 750;

export type VendHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const HTTP_METHOD = /^[A-Z]{1,16}$/;

/**
 * The vend function behind the real middy stack (logger context and correlation id, metrics, error
 * mapping), with its ports injected: the module `handler.ts` wires it from the environment, tests and
 * the local stack wire it with what they need.
 */
export function createHandler(deps: VendHandlerDeps): VendHandler {
  const logger = deps.logger ?? new Logger();
  /**
   * The audit lines (vended, listed, refused) at INFO whatever the function's log level, so a level
   * chosen to quiet the rest never drops them; SILENT, which asks for no output at all, silences them too.
   * AWS_LAMBDA_LOG_LEVEL would still win (Powertools and Lambda both apply it): the configuration refuses
   * one above INFO.
   */
  const audit = logger.createChild({ logLevel: logger.getLevelName() === 'SILENT' ? 'SILENT' : 'INFO' });
  const metrics = deps.metrics ?? new Metrics();
  const clock = deps.clock ?? { now: () => Date.now() };
  const groupsClaims = deps.groupsClaims ?? DEFAULT_GROUPS_CLAIMS;
  const allowedOrigins = deps.allowedOrigins ?? [];
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  const serves = deps.serves ?? 'vend';
  const core = {
    grants: deps.grants,
    kvs: deps.kvs,
    clock,
    liveMaxFragments: deps.liveMaxFragments ?? DEFAULT_LIVE_MAX_FRAGMENTS,
    sessionStartSlackMs: deps.sessionStartSlackMs ?? DEFAULT_KVS_RETRY_BUDGET_MS,
    ...(deps.admission ? { admission: deps.admission } : {}),
    ...(deps.sessions ? { sessions: deps.sessions } : {}),
  };
  const answerMarginMs = deps.answerMarginMs ?? DEFAULT_ANSWER_MARGIN_MS;
  /** What is left of the invocation for KVS: Lambda's time left less the margin to answer. */
  const timeLeft =
    (context: Context): (() => number) =>
    () =>
      context.getRemainingTimeInMillis() - answerMarginMs;
  /** Who each request turned out to be, for the audit line should it be refused. */
  const facts = new WeakMap<APIGatewayProxyEvent, RefusalFacts>();

  /** Exactly one audit line and one count for every answer that is not a 2xx. */
  const auditRefusal = (refusal: Refusal): void => {
    const { event, status, code } = refusal;
    const known = facts.get(event) ?? {};
    const stream = event.pathParameters?.streamName;
    const line = {
      ...auditBase(event, refusal.context),
      outcome: 'refused',
      status,
      code,
      ...(known.principal !== undefined ? { principal: known.principal } : {}),
      // Only a valid stream name goes into a log line: anything else is the caller's free text.
      ...(stream !== undefined && STREAM_NAME_PATTERN.test(stream) ? { stream } : {}),
      ...(refusal.errorName !== undefined ? { errorName: refusal.errorName } : {}),
      ...(refusal.dependency !== undefined ? { dependency: refusal.dependency } : {}),
    };
    if (status >= 500) audit.error('Request refused', { audit: line });
    else audit.warn('Request refused', { audit: line });
    const refusalMetric = metrics.singleMetric();
    refusalMetric.addDimension('StatusCode', String(status));
    refusalMetric.addMetric('Refusals', MetricUnit.Count, 1);
    if (status === 403) metrics.addMetric('Denials', MetricUnit.Count, 1);
  };

  const authenticate = async (route: VendRoute, event: APIGatewayProxyEvent): Promise<Caller> => {
    switch (route.credentials) {
      case 'apiKey':
        return callerFromApiKeyId(event.requestContext?.identity?.apiKeyId);
      case 'bearerJwt':
        return callerFromClaims(await verifyBearer(event), groupsClaims);
      case 'awsIam':
        // The admin function's credentials: no route of this function takes them.
        throw new NotFoundRouteError('No such route.');
    }
  };

  /**
   * The verified claims of the request's bearer token. An expired token is called "expired" only when
   * its claims would make a caller too: otherwise refreshing it would not help, and it is "invalid".
   */
  const verifyBearer = async (event: APIGatewayProxyEvent): Promise<Readonly<Record<string, unknown>>> => {
    try {
      // The verifier names the key set or the secret it waited on; any other verifier's outage is its keys'.
      return await deps.verifier.verify(bearerToken(event)).catch(failureOf('token-keys'));
    } catch (error) {
      if (error instanceof ExpiredTokenError) callerFromClaims(error.claims, groupsClaims);
      throw error;
    }
  };

  const vend = async (
    event: APIGatewayProxyEvent,
    context: Context,
    caller: Caller,
    principal: string | undefined,
    responseContext: ResponseContext,
  ): Promise<APIGatewayProxyResult> => {
    const streamName = event.pathParameters?.streamName ?? '';
    const userAgent = header(event, 'user-agent');
    const sourceIp = event.requestContext?.identity?.sourceIp;
    const result = await vendPlaybackUrl(core, {
      caller,
      streamName,
      body: jsonBody(event, maxBodyBytes),
      origin: {
        requestId: requestIdOf(event, context),
        ...(typeof sourceIp === 'string' ? { sourceIp } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
      },
      timeLeftMs: timeLeft(context),
    });
    metrics.addMetric('Vends', MetricUnit.Count, 1);
    // The URL carries a bearer token: it goes to the caller and nowhere else.
    audit.info('Playback URL vended', {
      audit: {
        ...auditBase(event, context),
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
        maxFragments: result.maxFragments,
      },
    });
    return jsonResponse(200, toVendBody(result), responseContext);
  };

  const media = async (
    action: 'clip' | 'images',
    event: APIGatewayProxyEvent,
    context: Context,
    caller: Caller,
    principal: string | undefined,
    responseContext: ResponseContext,
  ): Promise<APIGatewayProxyResult> => {
    if (!deps.media) throw new NotFoundRouteError('No such route.');
    const input = {
      caller,
      streamName: event.pathParameters?.streamName ?? '',
      body: jsonBody(event, maxBodyBytes),
    };
    // URLs and object keys carry bearer credentials: they go to the caller and nowhere else.
    if (action === 'clip') {
      const result = await deps.media.clipUrl(input);
      metrics.addMetric('ClipUrls', MetricUnit.Count, 1);
      audit.info('Clip URL vended', {
        audit: { ...auditBase(event, context), outcome: 'vended', principal, ...clipAudit(result) },
      });
      return jsonResponse(200, toClipBody(result), responseContext);
    }
    const result = await deps.media.images(input);
    metrics.addMetric('ImagesVended', MetricUnit.Count, 1);
    audit.info('Images vended', {
      audit: { ...auditBase(event, context), outcome: 'vended', principal, ...imagesAudit(result) },
    });
    return jsonResponse(200, toImagesBody(result), responseContext);
  };

  const routeHandler = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const responseContext = responseContextOf(event, context, allowedOrigins);
    // Preflights are API Gateway's (MOCK methods of the stack and of the local API): the function never
    // answers OPTIONS, which reaches it only when it is invoked directly (a 405, like any other method).
    const route = matchRoute(event);

    // Another function's route: unknown here, whoever asks (checked before anything is read).
    if (FUNCTION_OF_ACTION[route.action] !== serves) throw new NotFoundRouteError('No such route.');
    const caller = await authenticate(route, event);
    const principal = caller.principals[0];
    if (principal !== undefined) facts.set(event, { principal });

    switch (route.action) {
      case 'list': {
        const streams = await listPlayableStreams(core, caller, timeLeft(context));
        audit.info('Streams listed', {
          audit: { ...auditBase(event, context), outcome: 'listed', principal, count: streams.length },
        });
        return jsonResponse(200, { streams: streams.map(toStreamBody) }, responseContext);
      }
      case 'vend':
        return vend(event, context, caller, principal, responseContext);
      case 'clip':
      case 'images':
        return media(route.action, event, context, caller, principal, responseContext);
    }
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext([logger, audit], { logEvent: false, resetKeys: true }))
    .use(correlationId([logger, audit]))
    .use(publishMetrics(metrics))
    .use(refusals(auditRefusal))
    .use(httpErrors({ allowedOrigins }))
    .handler(routeHandler);
}

/** Who asked, from where, on which route: the part every audit line shares. Never a token or a URL. */
function auditBase(event: APIGatewayProxyEvent, context: Context): Record<string, unknown> {
  const method = String(event.httpMethod ?? '').toUpperCase();
  return {
    requestId: requestIdOf(event, context),
    sourceIp: event.requestContext?.identity?.sourceIp,
    route:
      HTTP_METHOD.test(method) && isKnownRoute(event.resource) ? `${method} ${event.resource}` : 'unknown',
  };
}

function toVendBody(result: VendResult): Record<string, unknown> {
  return {
    url: result.url,
    protocol: result.protocol,
    stream: result.stream,
    playbackMode: result.playbackMode,
    expiresAt: rfc3339(result.expiresAt),
    expiresInSeconds: result.expiresInSeconds,
    maxFragments: result.maxFragments,
    ...(result.start !== undefined ? { start: rfc3339(result.start) } : {}),
    ...(result.end !== undefined ? { end: rfc3339(result.end) } : {}),
  };
}

function toStreamBody(stream: PlayableStream): Record<string, unknown> {
  return {
    stream: stream.stream,
    capabilities: stream.capabilities,
    playbackModes: stream.playbackModes,
    protocols: stream.protocols,
    maxExpiresInSeconds: stream.maxExpiresInSeconds,
    ...(stream.archiveWindowSeconds !== undefined
      ? { archiveWindowSeconds: stream.archiveWindowSeconds }
      : {}),
    ...(stream.notAfter !== undefined ? { notAfter: rfc3339(stream.notAfter) } : {}),
  };
}
