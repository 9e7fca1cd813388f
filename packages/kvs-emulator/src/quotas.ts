/** Transactions per second the service allows; each is a token bucket of that size refilled continuously. */
export interface Quotas {
  /** GetDataEndpoint per stream. */
  readonly getDataEndpointPerStream: number;
  /** GetDataEndpoint per account (all streams). */
  readonly getDataEndpointPerAccount: number;
  /** GetHLSStreamingSessionURL + GetDASHStreamingSessionURL per stream. */
  readonly sessionUrlPerStream: number;
  /** Media playlist / manifest requests per session. */
  readonly playlistsPerSession: number;
  /** Fragment (and init) requests per session. */
  readonly fragmentsPerSession: number;
  /** Control-plane calls other than GetDataEndpoint, per account. */
  readonly controlPlanePerAccount: number;
  /** ListFragments and GetClip per stream. */
  readonly mediaApiPerStream: number;
  /** GetImages per stream. */
  readonly getImagesPerStream: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  getDataEndpointPerStream: 5,
  getDataEndpointPerAccount: 300,
  sessionUrlPerStream: 25,
  playlistsPerSession: 5,
  fragmentsPerSession: 20,
  controlPlanePerAccount: 300,
  mediaApiPerStream: 5,
  getImagesPerStream: 5,
};

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** The service quotas' token buckets, keyed by name, fed by the injected clock (never by timers). */
export class QuotaBuckets {
  private readonly buckets = new Map<string, { bucket: Bucket; perSecond: number }>();

  /** Beyond `maxBuckets`, buckets that have refilled completely are forgotten (sessions come and go). */
  constructor(
    private readonly clock: () => number,
    private readonly maxBuckets = 10_000,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from each bucket, or none when any of them is empty. */
  tryTake(...limits: readonly { key: string; perSecond: number }[]): boolean {
    const now = this.clock();
    const buckets = limits.map(({ key, perSecond }) => {
      let bucket = this.buckets.get(key)?.bucket;
      if (!bucket) {
        if (this.buckets.size >= this.maxBuckets) this.forgetFull(now);
        bucket = { tokens: perSecond, updatedMs: now };
        this.buckets.set(key, { bucket, perSecond });
      }
      const elapsedMs = Math.max(0, now - bucket.updatedMs);
      bucket.tokens = Math.min(perSecond, bucket.tokens + (elapsedMs / 1000) * perSecond);
      bucket.updatedMs = now;
      return bucket;
    });
    if (buckets.some((bucket) => bucket.tokens < 1)) return false;
    for (const bucket of buckets) bucket.tokens -= 1;
    return true;
  }

  private forgetFull(now: number): void {
    for (const [key, { bucket, perSecond }] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * perSecond >= perSecond)
        this.buckets.delete(key);
    }
  }
}
