import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** SHA-256 for the signer, from Node.js's crypto. */
class Sha256 {
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

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON body, or undefined when there is none (or it is not JSON). */
  readonly body: unknown;
}

export interface SignedClientOptions {
  /** The API's base URL (a deployment's `ApiUrl`, stage included, or the local stack's). */
  readonly api: URL;
  /** The region of the API (signing scope). */
  readonly region: string;
  /** Default: the default AWS credential chain (environment, profiles, SSO, container, instance). */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export type SignedFetch = (
  method: string,
  path: string,
  options?: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
) => Promise<ApiResponse>;

/**
 * Requests to the API signed with AWS Signature Version 4 for `execute-api`, as API Gateway's AWS_IAM
 * authorization checks them. `path` is the route's path under the API's base URL, already encoded.
 */
export function signedFetch(options: SignedClientOptions): SignedFetch {
  const signer = new SignatureV4({
    credentials: options.credentials ?? defaultProvider(),
    region: options.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const base = options.api.pathname.replace(/\/+$/, '');
  return async (method, path, request = {}) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const query = request.query ?? {};
    const signed = await signer.sign({
      method,
      protocol: options.api.protocol,
      hostname: options.api.hostname,
      ...(options.api.port ? { port: Number(options.api.port) } : {}),
      path: `${base}${path}`,
      query,
      headers: {
        host: options.api.host,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...request.headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    const url = new URL(`${options.api.protocol}//${options.api.host}${base}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers = Object.fromEntries(
      Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'),
    );
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
}

/**
 * The region of an API URL: a deployment's `<id>.execute-api.<region>.amazonaws.com`, else AWS_REGION,
 * AWS_DEFAULT_REGION, or the local stack's us-east-1.
 */
export function regionOf(api: URL, env: Readonly<Record<string, string | undefined>>): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(api.hostname);
  return match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
