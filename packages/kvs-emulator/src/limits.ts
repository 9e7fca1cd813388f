/**
 * Size limits of single calls, the service's by default. Lower them in tests to reach a limit with a
 * few fragments instead of hundreds (e.g. to exercise a client that pages a long clip).
 */
export interface Limits {
  /** GetClip answers the first this many fragments from StartTimestamp (the service: 200). */
  readonly clipMaxFragments: number;
  /**
   * GetClip answers the first fragments from StartTimestamp whose media adds up to at most this many
   * bytes (the service: 100 MB, taken here as 100 MiB); the first fragment always.
   */
  readonly clipMaxBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  clipMaxFragments: 200,
  clipMaxBytes: 100 * 1024 * 1024,
};
