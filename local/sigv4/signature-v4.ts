/**
 * AWS Signature Version 4 as the local stand-ins of AWS services check it: the local S3 (`local/s3`) and
 * the local API Gateway's AWS_IAM routes (`local/api-gateway`). The signature is computed again with
 * @smithy/signature-v4, the signer of the AWS SDKs, over exactly what the caller signed, and compared in
 * constant time. A failure is a `SigV4Error` saying what went wrong; each service answers it in its own
 * words (S3's error documents, API Gateway's gateway responses).
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A request as it arrived: its path still percent-encoded, its query decoded. */
export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  readonly headers: IncomingHttpHeaders;
}

/** What went wrong with a request's signature. */
export type SigV4Failure =
  /** No Authorization header at all. */
  | { readonly kind: 'missing' }
  /** An Authorization header that is no complete SigV4 (another scheme, a part or the date missing). */
  | { readonly kind: 'incomplete'; readonly missing: readonly string[] }
  /** The access key is not one of the known credentials. */
  | { readonly kind: 'unknown-key'; readonly accessKeyId: string }
  /** A session token, which the local credentials never have. */
  | { readonly kind: 'security-token'; readonly accessKeyId: string }
  /** Scoped to another region or service. */
  | {
      readonly kind: 'scope';
      readonly accessKeyId: string;
      readonly region: string;
      readonly service: string;
    }
  /** Signed too long ago, or too far ahead. */
  | {
      readonly kind: 'skewed';
      readonly accessKeyId: string;
      readonly signedAt: Date;
      readonly direction: 'past' | 'future';
    }
  /** The signature does not match (wrong secret, tampered request, date not that of the scope, ...). */
  | { readonly kind: 'mismatch'; readonly accessKeyId: string };

export class SigV4Error extends Error {
  constructor(readonly failure: SigV4Failure) {
    super(`Signature Version 4: ${failure.kind}`);
    this.name = 'SigV4Error';
  }
}

export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

export function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.join(',');
}

/** `20261125T120000Z`, the signing date's format. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function sameSecret(expected: string, provided: string): boolean {
  return expected.length === provided.length && timingSafeEqual(Buffer.from(expected), Buffer.from(provided));
}

export interface Scope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export function parseScope(credential: string): Scope | undefined {
  const match = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(credential);
  if (!match) return undefined;
  const [, accessKeyId, date, region, service] = match as unknown as [string, string, string, string, string];
  return { accessKeyId, date, region, service };
}

/** The headers the caller signed, as they arrived; a signed header that is missing fails the signature. */
export function signedHeaderValues(
  request: SignedRequest,
  names: readonly string[],
  onMissing: () => Error,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = single(request.headers[name]);
    if (value === undefined) throw onMissing();
    headers[name] = value;
  }
  return headers;
}

export interface AuthorizationParts {
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
}

/**
 * The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
 * header; for anything else, the parts it lacks.
 */
export function parseAuthorization(value: string): AuthorizationParts | { missing: string[] } {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(value.trim());
  const parameters = new Map<string, string>();
  for (const part of (match?.[1] ?? '').split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) parameters.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = parameters.get('Credential');
  const signedHeaders = parameters.get('SignedHeaders');
  const signature = parameters.get('Signature');
  const missing = [
    ...(credential ? [] : ['Credential']),
    ...(signedHeaders && /^[a-z0-9;_.-]+$/.test(signedHeaders) ? [] : ['SignedHeaders']),
    ...(signature && /^[0-9a-f]{64}$/.test(signature) ? [] : ['Signature']),
  ];
  if (!match || missing.length > 0)
    return { missing: match ? missing : ['Credential', 'SignedHeaders', 'Signature'] };
  return { credential: credential!, signedHeaders: signedHeaders!, signature: signature! };
}

export interface HeaderSignatureOptions {
  /** The signing service (`s3`, `execute-api`). */
  readonly service: string;
  readonly region: string;
  /** The secret of an access key id, or undefined when the key is unknown. */
  readonly secretOf: (accessKeyId: string) => string | undefined;
  /** Epoch ms. */
  readonly now: number;
  /** How far the signing date may be from now, either way. */
  readonly maxSkewMs: number;
  /**
   * Whether the path is percent-encoded again in the canonical request (every service but S3, whose
   * paths are signed as sent).
   */
  readonly uriEscapePath: boolean;
  /**
   * The payload hash of the canonical request, asked for once the date is known to be good: a service
   * computes it from the body, or reads it from `x-amz-content-sha256`. It may throw its own error.
   */
  readonly payloadHash: () => string;
  /** Whether a session token may come along (only with credentials that have one; the local ones do not). */
  readonly allowSecurityToken?: boolean;
  /** The service's own rules on which headers must be signed (S3: every `x-amz-*`); it throws its own error. */
  readonly checkSignedHeaders?: (names: readonly string[]) => void;
}

export interface VerifiedSignature {
  readonly accessKeyId: string;
  readonly signedAt: Date;
  readonly payloadHash: string;
}

/**
 * Checks an Authorization header signature: its form, the access key, the scope, the date, then the
 * signature itself over the signed headers, the path, the query and the payload hash. Throws SigV4Error.
 */
export async function verifyAuthorizationHeader(
  request: SignedRequest,
  options: HeaderSignatureOptions,
): Promise<VerifiedSignature> {
  const header = single(request.headers.authorization);
  if (header === undefined) throw new SigV4Error({ kind: 'missing' });
  const parts = parseAuthorization(header);
  if ('missing' in parts) throw new SigV4Error({ kind: 'incomplete', missing: parts.missing });
  const scope = parseScope(parts.credential);
  if (!scope) throw new SigV4Error({ kind: 'incomplete', missing: ['Credential'] });
  const { accessKeyId } = scope;
  const secretAccessKey = options.secretOf(accessKeyId);
  if (secretAccessKey === undefined) throw new SigV4Error({ kind: 'unknown-key', accessKeyId });
  if (!options.allowSecurityToken && single(request.headers['x-amz-security-token']) !== undefined) {
    throw new SigV4Error({ kind: 'security-token', accessKeyId });
  }
  if (scope.region !== options.region || scope.service !== options.service) {
    throw new SigV4Error({ kind: 'scope', accessKeyId, region: scope.region, service: scope.service });
  }
  const amzDate = single(request.headers['x-amz-date']);
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) throw new SigV4Error({ kind: 'incomplete', missing: ['X-Amz-Date'] });
  if (!amzDate!.startsWith(scope.date)) throw new SigV4Error({ kind: 'mismatch', accessKeyId });
  const skew = options.now - signedAt.getTime();
  if (Math.abs(skew) > options.maxSkewMs) {
    throw new SigV4Error({ kind: 'skewed', accessKeyId, signedAt, direction: skew > 0 ? 'past' : 'future' });
  }
  const payloadHash = options.payloadHash();
  const names = parts.signedHeaders.split(';');
  if (!names.includes('host')) throw new SigV4Error({ kind: 'mismatch', accessKeyId });
  options.checkSignedHeaders?.(names);
  // The signer takes the payload hash from this header; when the caller did not sign it, it still is the
  // hash of the canonical request, but not one of its headers.
  const payloadHeader = names.includes('x-amz-content-sha256') ? [] : ['x-amz-content-sha256'];
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region: options.region,
    service: options.service,
    sha256: NodeSha256,
    uriEscapePath: options.uriEscapePath,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: single(request.headers.host) ?? '',
      path: request.path,
      query: request.query as Record<string, string | string[]>,
      headers: {
        ...signedHeaderValues(request, names, () => new SigV4Error({ kind: 'mismatch', accessKeyId })),
        // What the signer hashes as the payload: the service's own answer, whatever a header claims.
        'x-amz-content-sha256': payloadHash,
      },
    },
    {
      signingDate: signedAt,
      signingRegion: scope.region,
      signingService: scope.service,
      signableHeaders: new Set(names),
      unsignableHeaders: new Set(payloadHeader),
    },
  );
  const authorization = String(signed.headers.authorization ?? '');
  const expected = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1] ?? '';
  const expectedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1];
  if (expectedHeaders !== parts.signedHeaders || !sameSecret(expected, parts.signature)) {
    throw new SigV4Error({ kind: 'mismatch', accessKeyId });
  }
  return { accessKeyId, signedAt, payloadHash };
}

/** The hex SHA-256 of a body, as a canonical request holds it. */
export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}
