import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigurationError, parseConfig } from '../../lib/config';
import { KvsUrlVending, type KvsUrlVendingProps } from '../../lib/constructs/kvs-url-vending';
import { cdkJsonConfig, synthApp } from './synth-app';

/**
 * The settings that carry the meaning of grants and tokens from cdk.json to the function: the groups
 * claim, the longest token lifetime and the LIVE fragment limit.
 */
const base = cdkJsonConfig();
const withOverrides = (overrides: Record<string, unknown>) => ({ ...base, ...overrides });

function vendEnvironment(stack: Stack): Record<string, unknown> {
  const [vendFunction] = Object.values(
    Template.fromStack(stack).findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Vends short-lived KVS') },
    }),
  ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
  return vendFunction!.Properties.Environment.Variables;
}

describe('groupsClaim, maxTokenLifetimeSeconds and liveMaxFragments in cdk.json', () => {
  it('accepts one groups claim, or a list of them', () => {
    expect(parseConfig(withOverrides({ groupsClaim: 'cognito:groups' })).groupsClaim).toBe('cognito:groups');
    expect(parseConfig(withOverrides({ groupsClaim: ['cognito:groups', 'groups'] })).groupsClaim).toEqual([
      'cognito:groups',
      'groups',
    ]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a groups claim with a comma', { groupsClaim: 'cognito:groups,groups' }, /groupsClaim/],
    ['an empty groups claim', { groupsClaim: '' }, /groupsClaim/],
    ['an empty list of claims', { groupsClaim: [] }, /groupsClaim/],
    [
      'a claim named twice',
      { groupsClaim: ['cognito:groups', 'groups', 'cognito:groups'] },
      /groupsClaim.*more than once/,
    ],
    ['a token lifetime under a minute', { maxTokenLifetimeSeconds: 59 }, /maxTokenLifetimeSeconds/],
    ['a token lifetime over 30 days', { maxTokenLifetimeSeconds: 2_592_001 }, /maxTokenLifetimeSeconds/],
    ['LIVE fragments below what players need', { liveMaxFragments: 2 }, /liveMaxFragments/],
    ['LIVE fragments reaching far back', { liveMaxFragments: 5000 }, /liveMaxFragments/],
    ['fractional LIVE fragments', { liveMaxFragments: 7.5 }, /liveMaxFragments/],
  ])('refuses %s, naming the key', (_name, overrides, key) => {
    expect(() => parseConfig(withOverrides(overrides))).toThrow(ConfigurationError);
    expect(() => parseConfig(withOverrides(overrides))).toThrow(key);
  });

  it('validates producerTimestamps of partner grants like the grants table does', () => {
    const partner = (grant: Record<string, unknown>) => ({
      ...(base.partners as Record<string, unknown>[])[0]!,
      grants: [
        {
          grantId: 'archive',
          streams: ['front-door'],
          playbackModes: ['ON_DEMAND'],
          protocols: ['HLS'],
          maxExpiresInSeconds: 300,
          archiveWindowSeconds: 600,
          ...grant,
        },
      ],
    });
    expect(() =>
      parseConfig(withOverrides({ partners: [partner({ producerTimestamps: true })] })),
    ).not.toThrow();
    expect(() => parseConfig(withOverrides({ partners: [partner({ producerTimestamps: 'yes' })] }))).toThrow(
      /producerTimestamps/,
    );
  });

  it('sets the function environment from them', () => {
    const { stack } = synthApp({
      overrides: { groupsClaim: 'cognito:groups', maxTokenLifetimeSeconds: 3600, liveMaxFragments: 6 },
    });
    expect(vendEnvironment(stack)).toMatchObject({
      JWT_GROUPS_CLAIM: 'cognito:groups',
      JWT_MAX_TOKEN_LIFETIME_SECONDS: '3600',
      LIVE_MAX_FRAGMENTS: '6',
    });
  });

  it("leaves the function's defaults in place when they are absent", () => {
    const { stack } = synthApp();
    const environment = vendEnvironment(stack);
    expect(environment).not.toHaveProperty('JWT_GROUPS_CLAIM');
    expect(environment).not.toHaveProperty('JWT_MAX_TOKEN_LIFETIME_SECONDS');
    expect(environment).not.toHaveProperty('LIVE_MAX_FRAGMENTS');
  });

  it('joins a list of claims for the function', () => {
    const { stack } = synthApp({ overrides: { groupsClaim: ['cognito:groups', 'groups'] } });
    expect(vendEnvironment(stack)).toMatchObject({ JWT_GROUPS_CLAIM: 'cognito:groups,groups' });
  });
});

describe('KvsUrlVending props', () => {
  const props: KvsUrlVendingProps = {
    issuer: 'https://issuer.example.com/',
    audience: 'kvs',
    jwksUrl: 'https://issuer.example.com/jwks.json',
    streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door/*'],
  };
  const build = (overrides: Partial<KvsUrlVendingProps>) => () =>
    new KvsUrlVending(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'), 'V', {
      ...props,
      ...overrides,
    });

  it('accepts them in range', () => {
    expect(
      build({ groupsClaim: 'cognito:groups', liveMaxFragments: 100, maxTokenLifetimeSeconds: 60 }),
    ).not.toThrow();
  });

  it.each<[string, Partial<KvsUrlVendingProps>]>([
    ['a groups claim with a comma', { groupsClaim: 'a,b' }],
    ['a groups claim with a space', { groupsClaim: ['cognito:groups', 'my groups'] }],
    ['a groups claim named twice', { groupsClaim: ['groups', 'groups'] }],
    ['LIVE fragments out of range', { liveMaxFragments: 101 }],
    ['a fractional token lifetime', { maxTokenLifetimeSeconds: 3600.5 }],
  ])('refuses %s', (_name, overrides) => {
    expect(build(overrides)).toThrow(/KvsUrlVending/);
  });
});
