import { callerFromApiKeyId, callerFromClaims, MAX_GROUPS } from '../../lambda/core/caller';
import { UnauthenticatedError } from '../../lambda/core/errors';

describe('callerFromClaims', () => {
  it('makes a user principal from sub and group principals from the groups claim, `groups` by default', () => {
    const caller = callerFromClaims({
      sub: 'alice',
      groups: ['security', 'staff', 'security'],
      'cognito:groups': ['other'],
    });
    expect(caller).toEqual({
      kind: 'user',
      id: 'alice',
      principals: ['user:alice', 'group:security', 'group:staff'],
    });
  });

  it('reads one claim only by default: cognito:groups is not a group claim unless configured', () => {
    expect(callerFromClaims({ sub: 'bob', 'cognito:groups': ['ops'] }).principals).toEqual(['user:bob']);
    expect(
      callerFromClaims({ sub: 'bob', 'cognito:groups': ['ops'] }, ['cognito:groups']).principals,
    ).toEqual(['user:bob', 'group:ops']);
  });

  it('with a configured list, takes the first claim present and falls back to the next', () => {
    const chain = ['cognito:groups', 'groups'];
    expect(
      callerFromClaims({ sub: 'bob', 'cognito:groups': ['a'], groups: ['b'] }, chain).principals,
    ).toEqual(['user:bob', 'group:a']);
    expect(callerFromClaims({ sub: 'bob', groups: ['ops'] }, chain).principals).toEqual([
      'user:bob',
      'group:ops',
    ]);
  });

  it('uses the configured claim names only', () => {
    const claims = { sub: 'bob', groups: ['ops'], roles: ['viewer'] };
    expect(callerFromClaims(claims, ['roles']).principals).toEqual(['user:bob', 'group:viewer']);
  });

  it('has no groups when no groups claim is present', () => {
    expect(callerFromClaims({ sub: 'bob' }).principals).toEqual(['user:bob']);
  });

  it.each([{}, { sub: '' }, { sub: 42 }, { sub: ['alice'] }])(
    'rejects claims without a usable sub: %p',
    (claims) => {
      expect(() => callerFromClaims(claims)).toThrow(UnauthenticatedError);
    },
  );

  it.each(['security', { security: true }, [1], ['ok', null], [''], 'a,b'])(
    'rejects a groups claim of the wrong type instead of coercing it: %p',
    (groups) => {
      expect(() => callerFromClaims({ sub: 'alice', groups })).toThrow(UnauthenticatedError);
    },
  );
});

describe('callerFromApiKeyId', () => {
  it(`accepts up to ${MAX_GROUPS} distinct groups and refuses a token with more, before any grant lookup`, () => {
    const groups = (count: number) => Array.from({ length: count }, (_, index) => `g${index}`);
    expect(callerFromClaims({ sub: 'alice', groups: [...groups(MAX_GROUPS), 'g0'] }).principals).toHaveLength(
      MAX_GROUPS + 1,
    );
    expect(() => callerFromClaims({ sub: 'alice', groups: groups(MAX_GROUPS + 1) })).toThrow(
      UnauthenticatedError,
    );
  });

  it('makes a partner principal', () => {
    expect(callerFromApiKeyId('key-1')).toEqual({
      kind: 'partner',
      id: 'key-1',
      principals: ['partner:key-1'],
    });
  });

  it.each([undefined, null, ''])('rejects a missing API key id: %p', (apiKeyId) => {
    expect(() => callerFromApiKeyId(apiKeyId)).toThrow(UnauthenticatedError);
  });
});
