import { createHash, randomBytes } from 'node:crypto';
import type { FaultInjector } from './faults';
import type { Limits } from './limits';
import type { QuotaBuckets, Quotas } from './quotas';
import type { SessionTokens } from './session-token';
import type { StillRenderer } from './still-renderer';
import type { EmulatedStream } from './stream-registry';

/** Data endpoints are path prefixes of the one port; rotation retires every endpoint handed out so far. */
export class DataEndpoints {
  private generation = 0;
  private readonly issued = new Map<string, number>();
  private readonly salt = randomBytes(8).toString('hex');

  idFor(streamName: string): string {
    const id = `b-${createHash('sha256').update(`${this.salt}/${this.generation}/${streamName}`).digest('hex').slice(0, 8)}`;
    this.issued.set(id, this.generation);
    return id;
  }

  /** `current`: serves API calls; `retired`: handed out before a rotation; `unknown`: never handed out. */
  status(id: string): 'current' | 'retired' | 'unknown' {
    const generation = this.issued.get(id);
    if (generation === undefined) return 'unknown';
    return generation === this.generation ? 'current' : 'retired';
  }

  rotate(): void {
    this.generation += 1;
  }
}

export interface EmulatorState {
  readonly region: string;
  readonly clock: () => number;
  readonly streams: Map<string, EmulatedStream>;
  readonly tokens: SessionTokens;
  /** Local only: sessions last `Expires × this` (default 1). */
  readonly sessionLifetimeScale?: number;
  readonly limiter: QuotaBuckets;
  readonly quotas: Quotas;
  readonly limits: Limits;
  readonly faults: FaultInjector;
  readonly stills: StillRenderer;
  readonly endpoints: DataEndpoints;
  /** `http://host:port` of this emulator. */
  readonly baseUrl: () => string;
}
