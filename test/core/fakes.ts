import type { Caller, Grant, PrincipalAccess, Revocation, SessionUrlRequest } from '../../lambda/core/model';
import type { GrantStore, KvsPort } from '../../lambda/core/ports';

export const NOW = Date.parse('2026-11-25T12:00:00Z');
export const HOUR_MS = 3_600_000;

export function grant(overrides: Partial<Grant> = {}): Grant {
  return {
    principal: 'user:alice',
    grantId: 'g1',
    streams: ['front-door'],
    playbackModes: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'],
    protocols: ['HLS', 'DASH'],
    maxExpiresInSeconds: 900,
    ...overrides,
  };
}

export const alice: Caller = { kind: 'user', id: 'alice', principals: ['user:alice'] };

/** A grant store that answers like a real one: only the grants and revocations of the principals asked for. */
export class FakeGrantStore implements GrantStore {
  readonly calls: (readonly string[])[] = [];
  constructor(
    private readonly grants: readonly Grant[],
    readonly revocations: Revocation[] = [],
  ) {}
  grantsFor(principals: readonly string[]): Promise<readonly Grant[]> {
    this.calls.push(principals);
    return Promise.resolve(this.grants.filter((item) => principals.includes(item.principal)));
  }
  async accessFor(principals: readonly string[]): Promise<PrincipalAccess> {
    return {
      grants: await this.grantsFor(principals),
      revocations: this.revocations.filter((item) => principals.includes(item.principal)),
    };
  }
}

export class FakeKvs implements KvsPort {
  readonly sessionRequests: SessionUrlRequest[] = [];
  readonly listedPrefixes: string[] = [];
  constructor(
    private readonly streams: readonly string[] = ['front-door', 'backyard', 'garage'],
    private readonly url = 'https://b-1234.kinesisvideo.us-east-1.amazonaws.com/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=SECRET-TOKEN',
  ) {}
  getSessionUrl(request: SessionUrlRequest): Promise<string> {
    this.sessionRequests.push(request);
    return Promise.resolve(this.url);
  }
  listStreamNames(prefix: string): Promise<readonly string[]> {
    this.listedPrefixes.push(prefix);
    return Promise.resolve(this.streams.filter((name) => name.startsWith(prefix)));
  }
}
