/**
 * API Gateway's AWS_IAM authorization, locally: the admin routes' requests must carry an AWS Signature
 * Version 4 of the local credentials (`local` / `local`, what `npm start` gives every local service), made
 * for the service `execute-api` in the local region, within five minutes of now, as API Gateway requires.
 * A request that passes reaches the function with the caller's IAM identity in `requestContext.identity`,
 * as API Gateway hands it over; every other is refused before the function runs.
 */
import type { IncomingMessage } from 'node:http';
import type { GatewayResponseType } from '../../lambda/contract';
import {
  formatAmzDate,
  SigV4Error,
  sha256Hex,
  verifyAuthorizationHeader,
  type Credentials,
  type SigV4Failure,
} from '../sigv4/signature-v4';

/** The local account, as the proxy event's `accountId` says it. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Who signs with the local credentials: an IAM user of the local account. */
export interface LocalIamUser {
  readonly credentials: Credentials;
  readonly userArn: string;
  /** The IAM user id (`AIDA...`), API Gateway's `identity.caller` and `identity.user`. */
  readonly userId: string;
}

export const LOCAL_OPERATOR: LocalIamUser = {
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  userArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-operator`,
  userId: 'AIDALOCALOPERATOR0000',
};

/** API Gateway (execute-api) refuses a signing date further than this from its clock, either way. */
const MAX_SKEW_MS = 5 * 60_000;

/** The caller's identity, as API Gateway puts it in `requestContext.identity` for AWS_IAM routes. */
export interface IamIdentity {
  readonly accessKey: string;
  readonly accountId: string;
  readonly caller: string;
  readonly user: string;
  readonly userArn: string;
}

/** How API Gateway answers a request that fails AWS_IAM authorization (its error type and message). */
export interface IamRefusal {
  /** `x-amzn-ErrorType`. */
  readonly errorType: string;
  /** API Gateway's own message (for the record: the answer is the gateway response's), never the credentials. */
  readonly message: string;
  /** The gateway response that serves this answer (GATEWAY_RESPONSES of the contract customises it). */
  readonly responseType: Extract<
    GatewayResponseType,
    'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE' | 'DEFAULT_4XX'
  >;
}

export type IamOutcome =
  | { readonly ok: true; readonly identity: IamIdentity }
  | { readonly ok: false; readonly refusal: IamRefusal };

/**
 * Checks one request to an AWS_IAM route against the local IAM users. `path` is the request's path as it
 * was sent (still percent-encoded: the signature covers it so), `body` its bytes.
 */
export async function authorizeIamRequest(
  request: IncomingMessage,
  path: string,
  query: URLSearchParams,
  body: Buffer,
  now: number,
  users: readonly LocalIamUser[] = [LOCAL_OPERATOR],
): Promise<IamOutcome> {
  const byKey = new Map(users.map((user) => [user.credentials.accessKeyId, user]));
  const queryRecord: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const existing = queryRecord[name];
    queryRecord[name] = existing === undefined ? value : [...[existing].flat(), value];
  }
  try {
    const verified = await verifyAuthorizationHeader(
      { method: request.method ?? 'GET', path, query: queryRecord, headers: request.headers },
      {
        service: 'execute-api',
        region: LOCAL_REGION,
        secretOf: (accessKeyId) => byKey.get(accessKeyId)?.credentials.secretAccessKey,
        now,
        maxSkewMs: MAX_SKEW_MS,
        uriEscapePath: true,
        // API Gateway hashes the payload it received, whatever a header claims.
        payloadHash: () => sha256Hex(body),
      },
    );
    const user = byKey.get(verified.accessKeyId)!;
    return {
      ok: true,
      identity: {
        accessKey: verified.accessKeyId,
        accountId: LOCAL_ACCOUNT_ID,
        caller: user.userId,
        user: user.userId,
        userArn: user.userArn,
      },
    };
  } catch (error) {
    if (!(error instanceof SigV4Error)) throw error;
    return { ok: false, refusal: refusalOf(error.failure, now) };
  }
}

/** API Gateway's answer to each failure, in its words (research notes: README, "Admin API"). */
function refusalOf(failure: SigV4Failure, now: number): IamRefusal {
  switch (failure.kind) {
    case 'missing':
      return {
        errorType: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
        responseType: 'MISSING_AUTHENTICATION_TOKEN',
      };
    case 'incomplete':
      // API Gateway lists what the header lacks, then echoes the header itself: here, never the header.
      return {
        errorType: 'IncompleteSignatureException',
        message: failure.missing
          .map((part) =>
            part === 'X-Amz-Date'
              ? "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
              : `Authorization header requires '${part}' parameter.`,
          )
          .join(' '),
        responseType: 'MISSING_AUTHENTICATION_TOKEN',
      };
    case 'unknown-key':
    case 'security-token':
      return {
        errorType: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
        // No gateway response type names this answer in API Gateway's documentation: DEFAULT_4XX covers it.
        responseType: 'DEFAULT_4XX',
      };
    case 'scope':
      return {
        errorType: 'InvalidSignatureException',
        message: `Credential should be scoped to a valid region and to the service 'execute-api'.`,
        responseType: 'INVALID_SIGNATURE',
      };
    case 'skewed': {
      const signed = formatAmzDate(failure.signedAt);
      const server = formatAmzDate(new Date(now));
      return {
        errorType: 'InvalidSignatureException',
        message:
          failure.direction === 'past'
            ? `Signature expired: ${signed} is now earlier than ${formatAmzDate(new Date(now - MAX_SKEW_MS))} (${server} - 5 min.)`
            : `Signature not yet current: ${signed} is still later than ${formatAmzDate(new Date(now + MAX_SKEW_MS))} (${server} + 5 min.)`,
        responseType: 'INVALID_SIGNATURE',
      };
    }
    case 'mismatch':
      return {
        errorType: 'InvalidSignatureException',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
        responseType: 'INVALID_SIGNATURE',
      };
  }
}
