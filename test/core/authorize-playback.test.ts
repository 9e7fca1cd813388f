import { authorizePlayback, matchesStreamPattern } from '../../lambda/core/authorize-playback';
import { ForbiddenError } from '../../lambda/core/errors';
import type { Caller, Grant, PlaybackRequest } from '../../lambda/core/model';
import { alice, grant, HOUR_MS, NOW } from './fakes';

const live: PlaybackRequest = {
  protocol: 'HLS',
  playbackMode: 'LIVE',
  timestampSource: 'SERVER',
  expiresInSeconds: 300,
};

function decide(
  grants: readonly Grant[],
  overrides: Partial<PlaybackRequest> = {},
  options: { caller?: Caller; stream?: string } = {},
) {
  return authorizePlayback({
    caller: options.caller ?? alice,
    grants,
    streamName: options.stream ?? 'front-door',
    request: { ...live, ...overrides },
    now: NOW,
  });
}

const allowed = (...args: Parameters<typeof decide>): boolean => {
  try {
    decide(...args);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(ForbiddenError);
    return false;
  }
};

describe('matchesStreamPattern', () => {
  it.each([
    ['front-door', 'front-door', true],
    ['front-door', 'Front-Door', false],
    ['front-door', 'front-door-2', false],
    ['front-door', 'front-doo', false],
    ['site-a*', 'site-a', true],
    ['site-a*', 'site-a-1', true],
    ['site-a*', 'site-ab', true],
    ['site-a-*', 'site-ab', false],
    ['site-a-*', 'site-a-cam', true],
    ['site-a*', 'SITE-A-1', false],
    ['*', 'anything', true],
    ['s*te', 'site', false],
    ['s*te', 's*te', true],
    ['site.*', 'siteX', false],
    ['front-door', 'front.door', false],
  ])('pattern %p vs %p → %p', (pattern, name, expected) => {
    expect(matchesStreamPattern(pattern, name)).toBe(expected);
  });
});

describe('authorizePlayback', () => {
  it('denies by default: no grants at all', () => {
    expect(allowed([])).toBe(false);
  });

  it('allows a grant covering stream, protocol and mode and clamps the expiry to the grant', () => {
    expect(decide([grant({ maxExpiresInSeconds: 600 })], { expiresInSeconds: 3600 })).toEqual({
      expiresInSeconds: 600,
      grant: grant({ maxExpiresInSeconds: 600 }),
      grantPrincipal: 'user:alice',
      allowingGrants: [grant({ maxExpiresInSeconds: 600 })],
    });
  });

  it('keeps a requested expiry below the grant maximum', () => {
    expect(decide([grant({ maxExpiresInSeconds: 900 })], { expiresInSeconds: 400 }).expiresInSeconds).toBe(
      400,
    );
  });

  it('clamps to the largest maximum among the allowing grants, ignoring grants that do not allow', () => {
    const grants = [
      grant({ grantId: 'a', maxExpiresInSeconds: 600 }),
      grant({ grantId: 'b', principal: 'group:security', maxExpiresInSeconds: 1800 }),
      grant({ grantId: 'c', maxExpiresInSeconds: 43200, protocols: ['DASH'] }),
    ];
    const caller: Caller = { kind: 'user', id: 'alice', principals: ['user:alice', 'group:security'] };
    const decision = decide(grants, { expiresInSeconds: 43200 }, { caller });
    expect(decision.expiresInSeconds).toBe(1800);
    expect(decision.grantPrincipal).toBe('group:security');
    expect(decision.allowingGrants.map((item) => item.grantId)).toEqual(['a', 'b']);
  });

  it.each<[string, Partial<Grant>, Partial<PlaybackRequest>, string, boolean]>([
    ['stream mismatch', { streams: ['backyard'] }, {}, 'front-door', false],
    ['stream case differs', { streams: ['Front-Door'] }, {}, 'front-door', false],
    ['prefix covers', { streams: ['front*'] }, {}, 'front-door', true],
    ['prefix site-a* covers site-ab', { streams: ['site-a*'] }, {}, 'site-ab', true],
    ['prefix site-a-* does not cover site-ab', { streams: ['site-a-*'] }, {}, 'site-ab', false],
    ['one of several patterns covers', { streams: ['backyard', 'front-door'] }, {}, 'front-door', true],
    ['protocol not granted', { protocols: ['HLS'] }, { protocol: 'DASH' }, 'front-door', false],
    ['protocol granted', { protocols: ['DASH'] }, { protocol: 'DASH' }, 'front-door', true],
    [
      'mode not granted',
      { playbackModes: ['LIVE'] },
      { playbackMode: 'ON_DEMAND', start: NOW - HOUR_MS, end: NOW - 1 },
      'front-door',
      false,
    ],
    [
      'mode granted',
      { playbackModes: ['LIVE_REPLAY'] },
      { playbackMode: 'LIVE_REPLAY', start: NOW - HOUR_MS },
      'front-door',
      true,
    ],
    ['notAfter a shortest session away', { notAfter: NOW + 300_000 }, {}, 'front-door', true],
    ['notAfter too close for a session', { notAfter: NOW + 299_999 }, {}, 'front-door', false],
    ['notAfter is now', { notAfter: NOW }, {}, 'front-door', false],
    ['notAfter in the past', { notAfter: NOW - 1 }, {}, 'front-door', false],
    [
      'archive window covers start',
      { archiveWindowSeconds: 3600 },
      { playbackMode: 'ON_DEMAND', start: NOW - HOUR_MS, end: NOW - 1 },
      'front-door',
      true,
    ],
    [
      'archive window too short',
      { archiveWindowSeconds: 3599 },
      { playbackMode: 'ON_DEMAND', start: NOW - HOUR_MS, end: NOW - 1 },
      'front-door',
      false,
    ],
    [
      'archive window applies to LIVE_REPLAY',
      { archiveWindowSeconds: 60 },
      { playbackMode: 'LIVE_REPLAY', start: NOW - HOUR_MS },
      'front-door',
      false,
    ],
    ['archive window ignored for LIVE', { archiveWindowSeconds: 0 }, {}, 'front-door', true],
    [
      'no archive window: any start',
      {},
      { playbackMode: 'ON_DEMAND', start: NOW - 1000 * HOUR_MS, end: NOW - 999 * HOUR_MS },
      'front-door',
      true,
    ],
  ])('%s', (_name, overrides, request, stream, expected) => {
    expect(allowed([grant(overrides)], request, { stream })).toBe(expected);
  });

  it.each<[string, Caller, string, boolean]>([
    ['user principal', alice, 'user:alice', true],
    ['another user', { kind: 'user', id: 'bob', principals: ['user:bob'] }, 'user:alice', false],
    [
      'group principal',
      { kind: 'user', id: 'carol', principals: ['user:carol', 'group:security'] },
      'group:security',
      true,
    ],
    [
      'group the caller is not in',
      { kind: 'user', id: 'carol', principals: ['user:carol', 'group:staff'] },
      'group:security',
      false,
    ],
    [
      'partner principal',
      { kind: 'partner', id: 'key-1', principals: ['partner:key-1'] },
      'partner:key-1',
      true,
    ],
    [
      'another partner',
      { kind: 'partner', id: 'key-2', principals: ['partner:key-2'] },
      'partner:key-1',
      false,
    ],
    [
      'user named like a partner key',
      { kind: 'user', id: 'key-1', principals: ['user:key-1'] },
      'partner:key-1',
      false,
    ],
  ])('%s', (_name, caller, principal, expected) => {
    expect(allowed([grant({ principal })], {}, { caller })).toBe(expected);
  });

  it('gives the same error, message included, whatever the reason of the refusal', () => {
    const reasons: [Grant[], Partial<PlaybackRequest>, string][] = [
      [[], {}, 'front-door'],
      [[grant()], {}, 'does-not-exist'],
      [[grant({ protocols: ['DASH'] })], {}, 'front-door'],
      [[grant({ notAfter: NOW - 1 })], {}, 'front-door'],
    ];
    const errors = reasons.map(([grants, request, stream]) => {
      try {
        decide(grants, request, { stream });
      } catch (error) {
        return error as ForbiddenError;
      }
      throw new Error('expected a refusal');
    });
    for (const error of errors) {
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe(errors[0]!.message);
    }
  });
});
