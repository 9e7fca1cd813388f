import type { Grant, PrincipalAccess, SessionUrlRequest } from './model';

/** Where grants come from (DynamoDB in AWS and in the local stack, a static JSON file in tests). */
export interface GrantStore {
  /** Every grant stored under any of these principals. Throws UpstreamUnavailableError when down (fail closed). */
  grantsFor(principals: readonly string[]): Promise<readonly Grant[]>;
  /**
   * The grants and the revocations of these principals, read together (one freshness check for both).
   * A store without revocations need not implement it: `accessOf` then reads `grantsFor` alone.
   */
  accessFor?(principals: readonly string[]): Promise<PrincipalAccess>;
}

/** The grants and revocations of `principals`, from a store with or without revocations. */
export async function accessOf(store: GrantStore, principals: readonly string[]): Promise<PrincipalAccess> {
  if (store.accessFor) return store.accessFor(principals);
  return { grants: await store.grantsFor(principals), revocations: [] };
}

/**
 * The narrow view of Kinesis Video Streams the core needs. Implementations map every service
 * failure to a domain error of `errors.ts`.
 */
export interface KvsPort {
  /** Mints one HLS or DASH session URL (GetDataEndpoint + GetHLS/DASHStreamingSessionURL). */
  getSessionUrl(request: SessionUrlRequest, options?: KvsCallOptions): Promise<string>;
  /** Names of the ACTIVE streams whose name starts with `prefix` (all pages of ListStreams). */
  listStreamNames(prefix: string, options?: KvsCallOptions): Promise<readonly string[]>;
}

export interface KvsCallOptions {
  /**
   * The most time the call may take, retries included, when less than the adapter's own retry budget:
   * what is left of the invocation. At 0 or below, KVS is not called (UpstreamTimeoutError).
   */
  readonly budgetMs?: number;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Verifies a bearer token; resolves to its claims or throws UnauthenticatedError. */
export interface TokenVerifier {
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}
