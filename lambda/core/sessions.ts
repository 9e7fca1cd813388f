import type { PlaybackMode, Protocol } from '../contract';

/**
 * One vended session, as the session log keeps it until its `expiresAt`: who, what, when, from where.
 * Never the URL: it is a bearer credential.
 */
export interface SessionRecord {
  /** The caller: `user:<sub>` or `partner:<apiKeyId>`. */
  readonly principal: string;
  /** The principal of the grant that allowed it (`group:<g>` when a group's grant did). */
  readonly grantPrincipal: string;
  readonly stream: string;
  readonly protocol: Protocol;
  readonly playbackMode: PlaybackMode;
  /** Epoch ms: the archived window asked for, if any. */
  readonly start?: number;
  readonly end?: number;
  /** Epoch ms: the session ends then at the latest. */
  readonly expiresAt: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** API Gateway's request id of the vend. */
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * Where every vend is recorded (a DynamoDB table in AWS and in the local stack), shared by every instance
 * of the function. The session cap reads the same records.
 */
export interface SessionLog {
  /**
   * Records a session about to be minted. With `cap`, only while fewer than `cap` sessions of its
   * principal are outstanding: resolves false, having recorded nothing, when the cap is reached. Throws
   * UpstreamUnavailableError when the log is down (fail closed: a vend is never left unrecorded).
   */
  open(session: SessionRecord, cap?: number): Promise<boolean>;
  /** Removes a session recorded by `open` whose vend failed afterwards (best effort). */
  discard(session: SessionRecord): Promise<void>;
}

/** Where the request came from: what a session record keeps of it. */
export interface RequestOrigin {
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}
