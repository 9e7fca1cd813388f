import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UpstreamUnavailableError, type Dependency } from '../core/errors';

/** How long one read of a secret may take before the request is answered 503 (or a stale secret used). */
export const DEFAULT_SECRET_TIMEOUT_MS = 1_500;

export interface SigningSecretOptions {
  readonly secretId: string;
  readonly region: string;
  /** Endpoint override (tests). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Deadline of one read. Default DEFAULT_SECRET_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** The message of the 503 when the secret is missing or empty. */
  readonly unavailable: string;
  /** What the audit line of that 503 names (the token signing secret: `signing-secret`). */
  readonly dependency?: Dependency;
}

/**
 * A secret from Secrets Manager (the HS256 token secret, the media key secret), fetched on first use
 * (callers cache it and may ask again now and then for rotation). The client module loads only in deployments that use it. Each read has a
 * deadline: the SDK's request timeout alone only warns, and a secret store that never answers would
 * otherwise hold the vend until Lambda ends it.
 */
export function secretLoader(options: SigningSecretOptions): () => Promise<string> {
  let client: SecretsManagerClient | undefined;
  return async () => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    client ??= new sdk.SecretsManagerClient({
      region: options.region,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    });
    const output = await client.send(new sdk.GetSecretValueCommand({ SecretId: options.secretId }), {
      abortSignal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_SECRET_TIMEOUT_MS),
    });
    if (typeof output.SecretString !== 'string' || output.SecretString === '') {
      throw new UpstreamUnavailableError(options.unavailable, options.dependency);
    }
    return output.SecretString;
  };
}
