import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TimestampSource } from './timeline';

export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type DiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';

/** Everything a playback GET needs to know about its session; carried inside the token. */
export interface Session {
  readonly id: string;
  readonly protocol: 'HLS' | 'DASH';
  readonly streamName: string;
  /** The stream's creation time: a stream deleted and created again does not inherit sessions. */
  readonly streamCreatedMs: number;
  readonly mode: PlaybackMode;
  readonly source: TimestampSource;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly containerFormat: ContainerFormat;
  readonly discontinuityMode: DiscontinuityMode;
  readonly displayTimestamp: boolean;
  readonly displayFragmentNumber: boolean;
  readonly maxFragments: number;
  /**
   * The stream-wide sequence number of the first fragment the session listed when it was created. KVS
   * numbers a session's segments from there ("their sequence number in the session"), so two sessions
   * of the same stream give the same fragment different numbers.
   */
  readonly sequenceBase?: number;
  readonly createdMs: number;
  readonly expiresMs: number;
}

/** Signs and opens session tokens: base64url(JSON) + '.' + base64url(HMAC-SHA256). */
export class SessionTokens {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  static newSessionId(): string {
    return randomBytes(9).toString('base64url');
  }

  issue(session: Session): string {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The session of a genuine token that has not expired at `nowMs`, otherwise undefined. */
  open(token: string, nowMs: number): Session | undefined {
    const [payload, mac, ...rest] = token.split('.');
    if (payload === undefined || mac === undefined || rest.length > 0) return undefined;
    const expected = this.mac(payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
    return nowMs < session.expiresMs ? session : undefined;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}
