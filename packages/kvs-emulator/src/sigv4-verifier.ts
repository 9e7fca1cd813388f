import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ServiceError } from './service-error';

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

class NodeSha256 {
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

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

const unrecognizedClient = (): ServiceError =>
  new ServiceError(
    'UnrecognizedClientException',
    403,
    'The security token included in the request is invalid.',
    true,
  );

const invalidSignature = (): ServiceError =>
  new ServiceError(
    'InvalidSignatureException',
    403,
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    true,
  );

/** How far a signing date may be from the real time, before or after, as AWS allows. */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;

const amzDateOf = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * AWS refuses a signature made more than five minutes before or after its own time, with these messages.
 * Real time, not the emulator's injectable clock: the SDKs, the CLI and boto3 sign with the machine's clock
 * whatever the emulator's streams pretend the time is.
 */
function assertSigningDateCurrent(amzDate: string, signingMs: number, nowMs: number): void {
  const now = amzDateOf(nowMs);
  if (signingMs < nowMs - MAX_SIGNATURE_SKEW_MS) {
    throw new ServiceError(
      'InvalidSignatureException',
      403,
      `Signature expired: ${amzDate} is now earlier than ${amzDateOf(nowMs - MAX_SIGNATURE_SKEW_MS)} (${now} - 5 min.)`,
      true,
    );
  }
  if (signingMs > nowMs + MAX_SIGNATURE_SKEW_MS) {
    throw new ServiceError(
      'InvalidSignatureException',
      403,
      `Signature not yet current: ${amzDate} is still later than ${amzDateOf(nowMs + MAX_SIGNATURE_SKEW_MS)} (${now} + 5 min.)`,
      true,
    );
  }
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Verifies an AWS Signature Version 4 by signing the request again, over exactly the headers the caller
 * signed, with the configured credentials; the signatures are compared in constant time. Throws the
 * service's 403 errors, among them a signing date more than five minutes from `nowMs` (real time). Returns
 * the region of the credential scope.
 */
export async function verifySigV4(
  request: SignedRequest,
  credentials: LocalCredentials,
  service = 'kinesisvideo',
  nowMs = Date.now(),
): Promise<string> {
  const match = AUTHORIZATION.exec(single(request.headers.authorization) ?? '');
  if (!match) throw unrecognizedClient();
  const [, accessKeyId, scopeDate, region, scopeService, signedHeaderList, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId !== credentials.accessKeyId) throw unrecognizedClient();
  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (scopeService !== service || !signingDate || !amzDate.startsWith(scopeDate)) throw invalidSignature();
  assertSigningDateCurrent(amzDate, signingDate.getTime(), nowMs);

  const signedHeaderNames = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaderNames) {
    const value = name === 'host' ? request.host : single(request.headers[name]);
    if (value === undefined) throw invalidSignature();
    headers[name] = value;
  }
  const contentHash = headers['x-amz-content-sha256'];
  if (
    contentHash !== undefined &&
    contentHash !== 'UNSIGNED-PAYLOAD' &&
    contentHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    throw invalidSignature();
  }

  const signer = new SignatureV4({
    credentials,
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: contentHash !== undefined,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: request.host,
      path: request.path,
      query: request.query,
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    },
    {
      signingDate,
      signingRegion: region,
      signingService: service,
      signableHeaders: new Set(signedHeaderNames),
    },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  const expectedHeaders = /SignedHeaders=([^,]+)/.exec(String(signed.headers.authorization ?? ''))?.[1];
  if (
    expectedHeaders !== signedHeaderList ||
    expected.length !== signature.length ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  ) {
    throw invalidSignature();
  }
  return region;
}
