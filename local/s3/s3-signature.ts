/**
 * AWS Signature Version 4 as S3 checks it, for the two ways a request carries one: the Authorization
 * header (the SDKs' API calls) and the query string (presigned URLs). The signature is computed again with
 * @smithy/signature-v4, the signer of the AWS SDKs, over exactly what the caller signed, and compared in
 * constant time. Failures throw the S3Error that S3 answers.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import {
  NodeSha256,
  parseAmzDate,
  parseScope,
  sameSecret,
  SigV4Error,
  signedHeaderValues,
  single,
  verifyAuthorizationHeader,
  type Credentials,
  type SignedRequest,
} from '../sigv4/signature-v4';
import { S3Error } from './s3-error';

export type S3Credentials = Credentials;
export type { SignedRequest };

export interface VerifyOptions {
  readonly credentials: S3Credentials;
  readonly region: string;
  /** Epoch ms. */
  readonly now: number;
}

/** The query parameters of a presigned URL that carry its signature (and so are not the object's). */
export const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
] as const;

const MAX_EXPIRES_SECONDS = 604_800;
const MAX_SKEW_MS = 15 * 60_000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const signatureDoesNotMatch = (accessKeyId: string): S3Error =>
  new S3Error(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    // S3 also echoes the string to sign and the signature provided; a signature is a bearer secret here,
    // so the error document never carries one.
    { AWSAccessKeyId: accessKeyId },
  );

const invalidAccessKey = (accessKeyId: string): S3Error =>
  new S3Error(
    403,
    'InvalidAccessKeyId',
    'The AWS Access Key Id you provided does not exist in our records.',
    {
      AWSAccessKeyId: accessKeyId,
    },
  );

/**
 * S3 refuses a request that carries `x-amz-*` headers its signature does not cover: they change what the
 * request does (server-side encryption, ACLs, metadata, copy sources), so an unsigned one could be added
 * to a signed request by anyone who holds it, a presigned URL above all.
 */
function refuseUnsignedAmzHeaders(request: SignedRequest, names: readonly string[]): void {
  const unsigned = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith('x-amz-') && !names.includes(name))
    .sort();
  if (unsigned.length > 0) {
    throw new S3Error(
      403,
      'AccessDenied',
      'There were headers present in the request which were not signed',
      {
        HeadersNotSigned: unsigned.join(', '),
      },
    );
  }
}

function signer(options: VerifyOptions): SignatureV4 {
  return new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 's3',
    sha256: NodeSha256,
    // S3 signs the path as sent, without encoding it a second time.
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/**
 * Checks a presigned URL's signature: algorithm, credential scope, lifetime, then the signature itself.
 * An expired URL is refused as S3 refuses it, whatever its signature.
 */
export async function verifyPresignedRequest(request: SignedRequest, options: VerifyOptions): Promise<void> {
  const param = (name: string): string | undefined => single(request.query[name]);
  const missing = PRESIGN_PARAMS.slice(0, 6).filter((name) => param(name) === undefined);
  if (missing.length > 0) {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    );
  }
  const scope = parseScope(param('X-Amz-Credential') ?? '');
  if (!scope) {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      'Error parsing the X-Amz-Credential parameter.',
    );
  }
  if (scope.accessKeyId !== options.credentials.accessKeyId) throw invalidAccessKey(scope.accessKeyId);
  if (scope.region !== options.region || scope.service !== 's3') {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      `Error parsing the X-Amz-Credential parameter; the scope '${scope.region}/${scope.service}' is wrong; expecting '${options.region}/s3'`,
    );
  }
  const amzDate = param('X-Amz-Date');
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || !amzDate?.startsWith(scope.date)) {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and on the date of the credential scope.",
    );
  }
  const expiresText = param('X-Amz-Expires') ?? '';
  const expires = /^\d{1,10}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!Number.isInteger(expires)) {
    throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  }
  if (expires > MAX_EXPIRES_SECONDS) {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  if (param('X-Amz-Security-Token') !== undefined) {
    throw new S3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  const expiresAt = signingDate.getTime() + expires * 1000;
  if (options.now > expiresAt) {
    throw new S3Error(403, 'AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(expires),
      Expires: new Date(expiresAt).toISOString().replace(/\.\d{3}/, ''),
      ServerTime: new Date(options.now).toISOString().replace(/\.\d{3}/, ''),
    });
  }
  if (signingDate.getTime() - options.now > MAX_SKEW_MS) {
    throw new S3Error(403, 'AccessDenied', 'Request is not yet valid');
  }

  const names = (param('X-Amz-SignedHeaders') ?? '').split(';');
  if (!names.includes('host')) throw signatureDoesNotMatch(scope.accessKeyId);
  refuseUnsignedAmzHeaders(request, names);
  const query = Object.fromEntries(
    Object.entries(request.query).filter(([name]) => !(PRESIGN_PARAMS as readonly string[]).includes(name)),
  );
  // A presigned URL signs no payload: S3 takes UNSIGNED-PAYLOAD as its hash, not a header of the request.
  const payloadHeader = names.includes('x-amz-content-sha256') ? [] : ['x-amz-content-sha256'];
  const presigned = await signer(options).presign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: single(request.headers.host) ?? '',
      path: request.path,
      query: query as Record<string, string | string[]>,
      headers: {
        ...signedHeaderValues(request, names, () => signatureDoesNotMatch(scope.accessKeyId)),
        ...(payloadHeader.length > 0 ? { 'x-amz-content-sha256': UNSIGNED_PAYLOAD } : {}),
      },
    },
    {
      signingDate,
      expiresIn: expires,
      signingRegion: scope.region,
      signingService: 's3',
      signableHeaders: new Set(names),
      unsignableHeaders: new Set(payloadHeader),
      // Headers the caller kept as headers stay headers; hoisting one would change what was signed.
      unhoistableHeaders: new Set([...names, ...payloadHeader]),
    },
  );
  const signedQuery = presigned.query ?? {};
  const expected = single(signedQuery['X-Amz-Signature'] ?? undefined) ?? '';
  if (
    single(signedQuery['X-Amz-SignedHeaders'] ?? undefined) !== names.join(';') ||
    !sameSecret(expected, param('X-Amz-Signature') ?? '')
  ) {
    throw signatureDoesNotMatch(scope.accessKeyId);
  }
}

/**
 * Checks an Authorization header signature. Returns the payload hash the caller signed
 * (`x-amz-content-sha256`): a hex digest the body must match, `UNSIGNED-PAYLOAD`, or a streaming mode.
 */
export async function verifyHeaderSignature(request: SignedRequest, options: VerifyOptions): Promise<string> {
  try {
    const verified = await verifyAuthorizationHeader(request, {
      service: 's3',
      region: options.region,
      secretOf: (accessKeyId) =>
        accessKeyId === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined,
      now: options.now,
      maxSkewMs: MAX_SKEW_MS,
      // S3 signs the path as sent, without encoding it a second time.
      uriEscapePath: false,
      allowSecurityToken: true,
      checkSignedHeaders: (names) => refuseUnsignedAmzHeaders(request, names),
      payloadHash: () => {
        const payloadHash = single(request.headers['x-amz-content-sha256']);
        if (payloadHash === undefined) {
          throw new S3Error(
            400,
            'InvalidRequest',
            'Missing required header for this request: x-amz-content-sha256',
          );
        }
        return payloadHash;
      },
    });
    return verified.payloadHash;
  } catch (error) {
    if (!(error instanceof SigV4Error)) throw error;
    throw s3ErrorOf(error, options);
  }
}

/** A signature failure in S3's words. */
function s3ErrorOf(error: SigV4Error, options: VerifyOptions): S3Error {
  const failure = error.failure;
  switch (failure.kind) {
    case 'missing':
    case 'incomplete':
      if (failure.kind === 'incomplete' && failure.missing.includes('X-Amz-Date')) {
        return new S3Error(
          403,
          'AccessDenied',
          'AWS authentication requires a valid Date or x-amz-date header',
        );
      }
      return new S3Error(
        400,
        'AuthorizationHeaderMalformed',
        'The authorization header is malformed; it must be AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature.',
      );
    case 'unknown-key':
    case 'security-token':
      return invalidAccessKey(failure.accessKeyId);
    case 'scope':
      return new S3Error(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the scope '${failure.region}/${failure.service}' is wrong; expecting '${options.region}/s3'`,
      );
    case 'skewed':
      return new S3Error(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        {
          RequestTime: failure.signedAt
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}/, ''),
          ServerTime: new Date(options.now).toISOString().replace(/\.\d{3}/, ''),
          MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
        },
      );
    case 'mismatch':
      return signatureDoesNotMatch(failure.accessKeyId);
  }
}
