/**
 * The vocabulary of the product. Pure types: no AWS SDK, no process.env, no Lambda types. The words a
 * caller uses (protocols, playback modes, ...) are the HTTP contract's (`lambda/contract`).
 */
import type {
  Capability,
  ContainerFormat,
  DiscontinuityMode,
  PlaybackMode,
  Protocol,
  TimestampSource,
} from '../contract';

/** Fragments KVS lists when a request does not say (MaxMediaPlaylist/MaxManifestFragmentResults). */
export const KVS_DEFAULT_MAX_FRAGMENTS: Readonly<Record<PlaybackMode, number>> = {
  LIVE: 5,
  LIVE_REPLAY: 5,
  ON_DEMAND: 1000,
};
/**
 * KVS allows this many GetHLSStreamingSessionURL and GetDASHStreamingSessionURL calls per second per
 * stream: every vend is one of them.
 */
export const KVS_SESSION_URL_QUOTA_PER_STREAM = 25;
/**
 * The most fragments a LIVE session lists unless configured otherwise: about what live players keep
 * behind the edge. KVS lists "the most recent fragments, up to this value", so this is how far back LIVE
 * reaches.
 */
export const DEFAULT_LIVE_MAX_FRAGMENTS = 10;

/**
 * Who is calling, after authentication. `principals` are the keys grants are stored under:
 * `user:<sub>` plus `group:<g>` for each group claim, or `partner:<apiKeyId>`.
 */
export interface Caller {
  readonly kind: 'user' | 'partner';
  /** `sub` of the JWT, or the API key id. */
  readonly id: string;
  readonly principals: readonly string[];
}

/**
 * One grant record (docs/ARCHITECTURE.md, "Grants"). Deny by default: a request is allowed only when one
 * grant of one of the caller's principals covers stream, capability, protocol, mode and time window.
 */
export interface Grant {
  /** `user:<sub>`, `group:<name>` or `partner:<apiKeyId>`. */
  readonly principal: string;
  /** Stable id of the grant within its principal (DynamoDB sort key). */
  readonly grantId: string;
  /** Exact stream names, or prefixes ending in `*`. */
  readonly streams: readonly string[];
  /**
   * What the grant allows on its streams: PLAY (session URLs), CLIP (clip download URLs), IMAGES. Absent:
   * PLAY only (`capabilitiesOf`). Playback modes and protocols concern PLAY; a grant without PLAY has none.
   */
  readonly capabilities?: readonly Capability[];
  readonly playbackModes: readonly PlaybackMode[];
  readonly protocols: readonly Protocol[];
  /** Longest session, or clip URL, this grant allows, 300..43200. */
  readonly maxExpiresInSeconds: number;
  /** How far back (from now) archived playback may start. Absent: no limit beyond KVS retention. */
  readonly archiveWindowSeconds?: number;
  /** The grant stops working at this instant (epoch ms). Absent: no end. */
  readonly notAfter?: number;
  /** The caller limit this grant allows (vends per second and burst); overrides admission's default. */
  readonly callerLimit?: { readonly ratePerSecond: number; readonly burst: number };
  /**
   * Archived playback (LIVE_REPLAY, ON_DEMAND) with producer timestamps under an archive window. Off
   * unless set: the window is checked against server time, and a producer clock running ahead would
   * expose older footage than the window allows.
   */
  readonly producerTimestamps?: boolean;
}

/**
 * A principal's access taken away by an operator. Revoking `user:` or `partner:` refuses that caller
 * entirely (vends and lists); revoking `group:<g>` stops what that group's grants allow, its members
 * keeping their own grants and those of their other groups.
 */
export interface Revocation {
  readonly principal: string;
  /** Epoch ms. */
  readonly revokedAt: number;
  /** The IAM principal (ARN) of the operator who revoked. */
  readonly revokedBy?: string;
  readonly reason?: string;
  /** Epoch ms: the revocation ends by itself then. Absent: until an operator lifts it. */
  readonly until?: number;
}

/** What the grants store holds for a set of principals: their grants and their revocations. */
export interface PrincipalAccess {
  readonly grants: readonly Grant[];
  readonly revocations: readonly Revocation[];
}

/** A validated playback-url request body, defaults applied. */
export interface PlaybackRequest {
  readonly protocol: Protocol;
  readonly playbackMode: PlaybackMode;
  readonly timestampSource: TimestampSource;
  /** Epoch ms. Required for LIVE_REPLAY and ON_DEMAND, absent for LIVE. */
  readonly start?: number;
  /** Epoch ms. Required for ON_DEMAND, optional for LIVE_REPLAY, absent for LIVE. */
  readonly end?: number;
  /** HLS only. */
  readonly containerFormat?: ContainerFormat;
  /** HLS only. */
  readonly discontinuityMode?: DiscontinuityMode;
  readonly displayFragmentTimestamp?: boolean;
  /** DASH only. */
  readonly displayFragmentNumber?: boolean;
  readonly maxFragments?: number;
  /** What the caller asked for (default 300), before clamping to the grant. */
  readonly expiresInSeconds: number;
}

/** What the KVS port needs to mint one session URL. */
export interface SessionUrlRequest extends Omit<PlaybackRequest, 'expiresInSeconds'> {
  readonly streamName: string;
  /** Already clamped to what the grants allow, and to the allowing grant's notAfter. */
  readonly expiresInSeconds: number;
}

/** The result of a successful vend. `url` carries a bearer token: never log or store it. */
export interface VendResult {
  readonly url: string;
  readonly protocol: Protocol;
  readonly stream: string;
  readonly playbackMode: PlaybackMode;
  readonly expiresInSeconds: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly start?: number;
  readonly end?: number;
  /** The most fragments the session's playlists or manifests list (clamped for LIVE). */
  readonly maxFragments: number;
  /** Principal of the grant that allowed the vend (for the audit line). */
  readonly grantPrincipal: string;
}

/** One entry of `GET /v1/streams`: a stream and what the caller's grants allow on it. */
export interface PlayableStream {
  readonly stream: string;
  readonly capabilities: readonly Capability[];
  readonly playbackModes: readonly PlaybackMode[];
  readonly protocols: readonly Protocol[];
  /** The longest playback session: only where PLAY is listed. */
  readonly maxExpiresInSeconds?: number;
  /** The longest clip URL: only where CLIP is listed. */
  readonly clipUrlMaxSeconds?: number;
  readonly archiveWindowSeconds?: number;
  /** Epoch ms. */
  readonly notAfter?: number;
}
