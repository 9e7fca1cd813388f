import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  GRANT_ID_PATTERN,
  GRANT_VERSION_HEADERS,
  MAX_REQUEST_BODY_BYTES,
  PRINCIPAL_PATTERN,
  RESERVED_GRANT_ID_PREFIX,
  REVOCATION_REQUEST,
  routesOf,
  SESSIONS_PAGE_SIZE,
  STREAM_NAME_PATTERN,
  type AdminRoute,
  type RevocationRequestBody,
} from '../contract';
import {
  GrantConflict,
  isStackManaged,
  revocationTtl,
  versionOf,
  type GrantAdminStore,
  type GrantEntry,
  type GrantPrecondition,
} from '../adapters/grants/grant-admin-store';
import { GrantRecordError, validateGrantRecord } from '../adapters/grants/grant-records';
import { REVOCATION_SORT_KEY } from '../adapters/grants/grants-table';
import type { RevocationItem } from '../adapters/grants/revocation-records';
import {
  InvalidPageToken,
  type SessionQuery,
  type SessionSelector,
} from '../adapters/sessions/session-query';
import { bodySchemaOf, issueDetails } from '../core/body-schema';
import { InvalidRequestError } from '../core/errors';
import type { Clock } from '../core/ports';
import { header, jsonBody } from '../vend/http-request';
import { correlationId, httpErrors, refusals, requestIdOf, type Refusal } from '../vend/middlewares';
import { jsonResponse, type ResponseContext } from '../vend/responses';
import { createRouter } from '../vend/routes';
import {
  GrantNotFoundError,
  ManagedByStackError,
  PreconditionFailedError,
  PreconditionRequiredError,
  RevocationNotFoundError,
} from './errors';
import { operatorOf, type Operator } from './operator';
import { grantView, revocationView, rfc3339 } from './views';

export interface AdminHandlerDeps {
  readonly grants: GrantAdminStore;
  readonly sessions: SessionQuery;
  /** Default: the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Default MAX_REQUEST_BODY_BYTES of the contract. */
  readonly maxBodyBytes?: number;
}

export type AdminHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const router = createRouter(routesOf('admin'));
const HTTP_METHOD = /^[A-Z]{1,16}$/;
const INVALID_REQUEST = 'The request is invalid.';
const revocationBodySchema = bodySchemaOf(REVOCATION_REQUEST);

/** A path parameter that must match `pattern`; 400 naming the parameter otherwise. */
function pathParameter(event: APIGatewayProxyEvent, name: string, pattern: RegExp, issue: string): string {
  const value = event.pathParameters?.[name];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InvalidRequestError(INVALID_REQUEST, [{ field: name, issue }]);
  }
  return value;
}

const principalOf = (event: APIGatewayProxyEvent): string =>
  pathParameter(
    event,
    'principal',
    PRINCIPAL_PATTERN,
    'must be user:<sub>, group:<name> or partner:<apiKeyId>',
  );

function grantIdOf(event: APIGatewayProxyEvent): string {
  const grantId = pathParameter(event, 'grantId', GRANT_ID_PATTERN, 'must be 1-256 printable characters');
  if (grantId.startsWith(RESERVED_GRANT_ID_PREFIX)) {
    throw new InvalidRequestError(INVALID_REQUEST, [
      { field: 'grantId', issue: `must not start with ${RESERVED_GRANT_ID_PREFIX} (reserved)` },
    ]);
  }
  return grantId;
}

/**
 * The version an `If-Match` names: one strong entity tag, `"3"`. If-Match compares strongly (RFC 9110,
 * 13.1.1), so a weak tag (`W/"3"`) never matches: 412, whatever is stored. Anything else (`3`, `"3`, a
 * list) is malformed: 400 naming the header.
 */
function parseVersion(value: string): number {
  const text = value.trim();
  if (/^W\/"\d{1,15}"$/.test(text)) {
    throw new PreconditionFailedError(
      'If-Match compares strongly: a weak entity tag (W/"…") never matches. Give the ETag as read ("3").',
    );
  }
  const match = /^"(\d{1,15})"$/.exec(text);
  if (!match) {
    throw new InvalidRequestError(INVALID_REQUEST, [
      { field: GRANT_VERSION_HEADERS.ifMatch, issue: 'must name one version, as the ETag gives it ("3")' },
    ]);
  }
  return Number(match[1]);
}

/** The precondition a change of a grant states in its headers. */
function preconditionOf(event: APIGatewayProxyEvent, required: boolean): GrantPrecondition {
  const ifMatch = header(event, GRANT_VERSION_HEADERS.ifMatch);
  const ifNoneMatch = header(event, GRANT_VERSION_HEADERS.ifNoneMatch);
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new InvalidRequestError(INVALID_REQUEST, [
      { field: GRANT_VERSION_HEADERS.ifNoneMatch, issue: 'not with If-Match' },
    ]);
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw new InvalidRequestError(INVALID_REQUEST, [
        { field: GRANT_VERSION_HEADERS.ifNoneMatch, issue: 'must be * (create a grant that does not exist)' },
      ]);
    }
    return { kind: 'create' };
  }
  if (ifMatch !== undefined) return { kind: 'version', version: parseVersion(ifMatch) };
  if (required) throw new PreconditionRequiredError();
  return { kind: 'any' };
}

/** One query string parameter, given at most once. */
function queryParameter(event: APIGatewayProxyEvent, name: string): string | undefined {
  const values = event.multiValueQueryStringParameters?.[name];
  if (values && values.length > 1) {
    throw new InvalidRequestError(INVALID_REQUEST, [{ field: name, issue: 'must be given once' }]);
  }
  const value = values?.[0] ?? event.queryStringParameters?.[name];
  return value === undefined || value === '' ? undefined : value;
}

const etag = (version: number): Record<string, string> => ({ [GRANT_VERSION_HEADERS.etag]: `"${version}"` });

/**
 * The admin function: the admin API's routes behind the middy stack (logger context and correlation id,
 * a refusal audit, error mapping), its stores injected. Every change is written conditionally, moves the
 * control epoch (so every instance of the vend function reloads from its next request) and leaves one
 * audit line: who (the IAM principal), what, before and after.
 */
export function createAdminHandler(deps: AdminHandlerDeps): AdminHandler {
  const logger = deps.logger ?? new Logger();
  const clock = deps.clock ?? { now: () => Date.now() };
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  const operators = new WeakMap<APIGatewayProxyEvent, Operator>();

  const auditBase = (event: APIGatewayProxyEvent, context: Context): Record<string, unknown> => {
    const method = String(event.httpMethod ?? '').toUpperCase();
    const operator = operators.get(event);
    return {
      requestId: requestIdOf(event, context),
      sourceIp: event.requestContext?.identity?.sourceIp,
      route:
        HTTP_METHOD.test(method) && router.isKnownRoute(event.resource)
          ? `${method} ${event.resource}`
          : 'unknown',
      ...(operator
        ? {
            operator: operator.userArn,
            ...(operator.accessKey !== undefined ? { accessKey: operator.accessKey } : {}),
          }
        : {}),
    };
  };

  const auditRefusal = ({ event, context, status, code, errorName }: Refusal): void => {
    const audit = {
      ...auditBase(event, context),
      outcome: 'refused',
      status,
      code,
      ...(errorName !== undefined ? { errorName } : {}),
    };
    if (status >= 500) logger.error('Request refused', { audit });
    else logger.warn('Request refused', { audit });
  };

  /** One audit line per change: who, what, before and after. */
  const auditChange = (
    event: APIGatewayProxyEvent,
    context: Context,
    change: { action: string; principal: string; grantId?: string; before?: unknown; after?: unknown },
  ): void => {
    logger.info('Admin change', {
      audit: {
        ...auditBase(event, context),
        outcome: 'changed',
        action: change.action,
        principal: change.principal,
        ...(change.grantId !== undefined ? { grantId: change.grantId } : {}),
        before: change.before ?? null,
        after: change.after ?? null,
      },
    });
  };

  /**
   * Every instance of the vend function reloads from its next request. Should this write fail after the
   * change itself was written, the change still counts once the instances' grant caches expire (30 s by
   * default): the answer stays a success, and the failure is logged.
   */
  const propagate = async (): Promise<void> => {
    try {
      await deps.grants.bumpEpoch();
    } catch (error) {
      logger.error('The control epoch did not move: the change counts once the grant caches expire', {
        errorName: error instanceof Error ? error.name : typeof error,
      });
    }
  };

  /** A conflict as the caller sees it: the stack's grant, no grant, or another version. */
  const conflict = (error: GrantConflict, precondition: GrantPrecondition): Error => {
    const current = error.current;
    if (current && isStackManaged(current)) return new ManagedByStackError();
    if (!current) {
      return precondition.kind === 'version'
        ? new PreconditionFailedError(
            'No such grant (If-Match names a version of a grant that does not exist).',
          )
        : new GrantNotFoundError();
    }
    return precondition.kind === 'create'
      ? new PreconditionFailedError(
          `The grant exists (version ${versionOf(current)}): replace it with If-Match.`,
          versionOf(current),
        )
      : new PreconditionFailedError(
          `The grant is at version ${versionOf(current)}: read it again, and retry with that version.`,
          versionOf(current),
        );
  };

  const selectorOf = (event: APIGatewayProxyEvent): SessionSelector => {
    const stream = queryParameter(event, 'stream');
    const principal = queryParameter(event, 'principal');
    if ((stream === undefined) === (principal === undefined)) {
      throw new InvalidRequestError(INVALID_REQUEST, [
        { field: 'stream', issue: 'give exactly one of stream and principal' },
      ]);
    }
    if (stream !== undefined) {
      if (!STREAM_NAME_PATTERN.test(stream)) {
        throw new InvalidRequestError(INVALID_REQUEST, [
          { field: 'stream', issue: 'must be 1-256 characters of a-z, A-Z, 0-9, _ . -' },
        ]);
      }
      return { stream };
    }
    if (!PRINCIPAL_PATTERN.test(principal!)) {
      throw new InvalidRequestError(INVALID_REQUEST, [
        { field: 'principal', issue: 'must be user:<sub>, group:<name> or partner:<apiKeyId>' },
      ]);
    }
    // A group holds no sessions itself: its sessions are those its grants allowed.
    return principal!.startsWith('group:') ? { grantPrincipal: principal! } : { principal: principal! };
  };

  const selectorOfPrincipal = (principal: string): SessionSelector =>
    principal.startsWith('group:') ? { grantPrincipal: principal } : { principal };

  const actions: Record<
    AdminRoute['action'],
    (
      event: APIGatewayProxyEvent,
      context: Context,
      ctx: ResponseContext,
      operator: Operator,
    ) => Promise<APIGatewayProxyResult>
  > = {
    async listGrants(event, _context, ctx) {
      const principal = principalOf(event);
      const { grants, revocation } = await deps.grants.list(principal);
      return jsonResponse(
        200,
        {
          principal,
          grants: grants.map((entry) => grantView(principal, entry)),
          revocation: revocation ? revocationView(revocation, clock.now()) : null,
        },
        ctx,
      );
    },

    async getGrant(event, _context, ctx) {
      const principal = principalOf(event);
      const grantId = grantIdOf(event);
      const entry = await deps.grants.get(principal, grantId);
      if (!entry) throw new GrantNotFoundError();
      const response = jsonResponse(200, grantView(principal, entry), ctx);
      response.headers = { ...response.headers, ...etag(versionOf(entry)) };
      return response;
    },

    async putGrant(event, context, ctx, operator) {
      const principal = principalOf(event);
      const grantId = grantIdOf(event);
      const precondition = preconditionOf(event, true);
      const body = jsonBody(event, maxBodyBytes);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new InvalidRequestError('The grant is invalid.', [
          { field: 'body', issue: 'must be a JSON object' },
        ]);
      }
      const keyFields = ['principal', 'grantId'].filter((name) => Object.hasOwn(body, name));
      if (keyFields.length > 0) {
        throw new InvalidRequestError(
          'The grant is invalid.',
          keyFields.map((field) => ({ field, issue: 'not allowed in the body: it is part of the path' })),
        );
      }
      let record;
      try {
        // The same validation as the vend function's: a record it would skip is refused here.
        record = validateGrantRecord({ ...body, principal, grantId });
      } catch (error) {
        if (error instanceof GrantRecordError)
          throw new InvalidRequestError('The grant is invalid.', error.details);
        throw error;
      }
      let written: { before?: GrantEntry; after: GrantEntry };
      try {
        written = await deps.grants.put({ ...record, grantId }, precondition, {
          operator: operator.userArn,
          at: clock.now(),
        });
      } catch (error) {
        if (error instanceof GrantConflict) throw conflict(error, precondition);
        throw error;
      }
      await propagate();
      const after = grantView(principal, written.after);
      auditChange(event, context, {
        action: written.before ? 'grant.replace' : 'grant.create',
        principal,
        grantId,
        ...(written.before ? { before: grantView(principal, written.before) } : {}),
        after,
      });
      const response = jsonResponse(written.before ? 200 : 201, after, ctx);
      response.headers = { ...response.headers, ...etag(versionOf(written.after)) };
      return response;
    },

    async deleteGrant(event, context, ctx) {
      const principal = principalOf(event);
      const grantId = grantIdOf(event);
      const precondition = preconditionOf(event, false);
      if (precondition.kind === 'create') {
        throw new InvalidRequestError(INVALID_REQUEST, [
          { field: GRANT_VERSION_HEADERS.ifNoneMatch, issue: 'not with DELETE' },
        ]);
      }
      let deleted: GrantEntry;
      try {
        deleted = await deps.grants.delete(principal, grantId, precondition);
      } catch (error) {
        if (error instanceof GrantConflict) throw conflict(error, precondition);
        throw error;
      }
      await propagate();
      const before = grantView(principal, deleted);
      auditChange(event, context, { action: 'grant.delete', principal, grantId, before });
      return jsonResponse(200, { deleted: before }, ctx);
    },

    async revoke(event, context, ctx, operator) {
      const principal = principalOf(event);
      const body = jsonBody(event, maxBodyBytes);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new InvalidRequestError(INVALID_REQUEST, [{ field: 'body', issue: 'must be a JSON object' }]);
      }
      const parsed = revocationBodySchema.safeParse(body);
      if (!parsed.success)
        throw new InvalidRequestError(INVALID_REQUEST, parsed.error.issues.flatMap(issueDetails));
      const request: RevocationRequestBody = parsed.data;
      const now = clock.now();
      const until = request.until === undefined ? undefined : Date.parse(request.until);
      if (until !== undefined && until <= now) {
        throw new InvalidRequestError(INVALID_REQUEST, [{ field: 'until', issue: 'must be in the future' }]);
      }
      const item: RevocationItem = {
        principal,
        grantId: REVOCATION_SORT_KEY,
        revokedAt: rfc3339(now),
        revokedBy: operator.userArn,
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        ...(until !== undefined ? { until: rfc3339(until), ttl: revocationTtl(until) } : {}),
      };
      const before = await deps.grants.putRevocation(item);
      await propagate();
      // From here every vend and every list of this principal is refused; sessions minted before end at
      // their expiresAt, which no one can shorten: say when the last of them ends.
      const bound = await deps.sessions.bound(selectorOfPrincipal(principal));
      const view = revocationView(item, now);
      auditChange(event, context, {
        action: 'principal.revoke',
        principal,
        ...(before ? { before: revocationView(before, now) } : {}),
        after: view,
      });
      return jsonResponse(
        200,
        {
          revocation: view,
          outstandingSessions: bound.outstanding,
          sessionsEndBy: bound.latestExpiresAt === undefined ? null : rfc3339(bound.latestExpiresAt),
        },
        ctx,
      );
    },

    async unrevoke(event, context, ctx) {
      const principal = principalOf(event);
      const before = await deps.grants.deleteRevocation(principal);
      if (!before) throw new RevocationNotFoundError();
      await propagate();
      const view = revocationView(before, clock.now());
      auditChange(event, context, { action: 'principal.unrevoke', principal, before: view });
      return jsonResponse(200, { lifted: view }, ctx);
    },

    async listSessions(event, _context, ctx) {
      const selector = selectorOf(event);
      const limitText = queryParameter(event, 'limit');
      const limit = limitText === undefined ? SESSIONS_PAGE_SIZE.default : Number(limitText);
      if (!/^\d{1,4}$/.test(limitText ?? '1') || !(limit >= 1 && limit <= SESSIONS_PAGE_SIZE.max)) {
        throw new InvalidRequestError(INVALID_REQUEST, [
          { field: 'limit', issue: `must be a whole number from 1 to ${SESSIONS_PAGE_SIZE.max}` },
        ]);
      }
      const nextToken = queryParameter(event, 'nextToken');
      try {
        const page = await deps.sessions.list(selector, { limit, ...(nextToken ? { nextToken } : {}) });
        return jsonResponse(200, page, ctx);
      } catch (error) {
        // A token DynamoDB does not take as a start key is as invalid as one that does not decode.
        if (
          error instanceof InvalidPageToken ||
          (nextToken !== undefined && (error as { name?: unknown }).name === 'ValidationException')
        ) {
          throw new InvalidRequestError(INVALID_REQUEST, [
            { field: 'nextToken', issue: 'not a token of this API' },
          ]);
        }
        throw error;
      }
    },
  };

  const routeHandler = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const ctx: ResponseContext = { requestId: requestIdOf(event, context), allowedOrigins: [] };
    // Preflights and unknown routes are API Gateway's (MOCK methods): no browser calls the admin API.
    const route = router.matchRoute(event);
    // API Gateway authorized the request with AWS_IAM; without its identity, nothing is served.
    const operator = operatorOf(event);
    operators.set(event, operator);
    return actions[route.action](event, context, ctx, operator);
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(correlationId([logger]))
    .use(refusals(auditRefusal))
    .use({
      // A failed precondition carries the current version, so a client can retry without a second read.
      // (middy runs onError handlers last-registered first: this one after httpErrors made the answer.)
      onError: (request) => {
        const error = request.error;
        const response = request.response as APIGatewayProxyResult | null;
        if (error instanceof PreconditionFailedError && error.currentVersion !== undefined && response) {
          response.headers = { ...response.headers, ...etag(error.currentVersion) };
        }
      },
    })
    .use(httpErrors({ allowedOrigins: [] }))
    .handler(routeHandler);
}
