/**
 * Admission of clip and images requests: limits of their own, on the same rate limiter (and admission
 * table) as the vend path, because one clip costs KVS several calls (ListFragments, GetClip per 200
 * fragments) and a download of up to 100 MB each, and one images request a GetImages call per page.
 * Two token buckets per kind: the caller's own, then the stream's, below the KVS quota of 5 calls per
 * second per stream (ListFragments and GetClip share it; GetImages has its own).
 */
import { RateLimitedError } from '../errors';
import type { Caller } from '../model';
import type { Clock } from '../ports';
import { assertValidRateLimit, type RateLimit } from './gcra';
import { callerKey, STREAM_QUEUE_SECONDS, waitMs } from './policy';
import type { RateLimiter } from './ports';

export type MediaKind = 'clip' | 'images';

/**
 * Keys of the media limits in the admission table. They start with a kind of their own, so they never
 * meet the vend path's (`caller#`, `stream#`, `active#`, `sessions#`); stream names hold no `#`.
 */
export const mediaAdmissionKeys = {
  caller: (kind: MediaKind, principal: string) => `${kind}#caller#${principal}`,
  stream: (kind: MediaKind, streamName: string) => `${kind}#stream#${streamName}`,
} as const;

export interface MediaLimits {
  /** Requests of this kind per caller (`user:<sub>` / `partner:<apiKeyId>`). */
  readonly caller: RateLimit;
  /** Requests of this kind per stream, all callers together. */
  readonly stream: RateLimit;
}

export interface MediaAdmissionOptions {
  readonly limiter: RateLimiter;
  readonly clip: MediaLimits;
  readonly images: MediaLimits;
  /** The clock of the deadline. */
  readonly clock: Clock;
  /** How long both checks of one request may take together before the table is given up on (503). */
  readonly timeoutMs: number;
}

export interface MediaAdmission {
  /** Resolves when the request may go to KVS; throws RateLimitedError (429) or AdmissionUnavailableError. */
  admit(kind: MediaKind, caller: Caller, streamName: string): Promise<void>;
}

/**
 * The caller's limit first, so that a caller over its limit never spends the stream's; then the stream's,
 * so that all callers of a stream together stay below what KVS allows for it. A refusal by the stream keeps
 * the caller's take: each attempt that reaches the stream counts against the caller, so one caller's loop
 * cannot fill the stream's queue (and every other caller's `Retry-After`) beyond what its own limit allows.
 */
export function createMediaAdmission(options: MediaAdmissionOptions): MediaAdmission {
  for (const limits of [options.clip, options.images]) {
    assertValidRateLimit(limits.caller);
    assertValidRateLimit(limits.stream);
  }
  if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  const noun: Record<MediaKind, string> = { clip: 'clips', images: 'images' };
  return {
    async admit(kind, caller, streamName) {
      const limits = options[kind];
      const deadline = options.clock.now() + options.timeoutMs;
      const ownKey = mediaAdmissionKeys.caller(kind, callerKey(caller));
      const own = await options.limiter.take(ownKey, limits.caller, deadline);
      if (!own.allowed) {
        throw new RateLimitedError(
          `Too many ${noun[kind]} asked for by this caller; retry later.`,
          own.retryAfterSeconds,
          waitMs(own),
        );
      }
      const stream = await options.limiter.take(
        mediaAdmissionKeys.stream(kind, streamName),
        { ...limits.stream, maxQueueSeconds: STREAM_QUEUE_SECONDS },
        deadline,
      );
      if (!stream.allowed) {
        // The caller's take is kept: a request the stream refused still counts against the caller's own
        // limit. Given back, it let one caller reach the stream with every request of a loop and fill the
        // stream's queue, so that the next caller was told to wait behind all of them (36–39 s for a clip).
        throw new RateLimitedError(
          `Too many ${noun[kind]} asked for on this stream; retry later.`,
          stream.retryAfterSeconds,
          waitMs(stream),
        );
      }
    },
  };
}
