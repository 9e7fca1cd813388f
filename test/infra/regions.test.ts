import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ConfigurationError, parseConfig } from '../../lib/config';
import { KvsUrlVending, type KvsUrlVendingProps } from '../../lib/constructs/kvs-url-vending';
import { KVS_REGIONS } from '../../lib/kvs-regions';
import { cdkJsonConfig, synthApp } from './synth-app';

/** The construct in a stack of a given region (or none: environment-agnostic). */
function vending(region: string | undefined, overrides: Partial<KvsUrlVendingProps> = {}): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'S', region === undefined ? {} : { env: { region } });
  new KvsUrlVending(stack, 'V', {
    issuer: 'https://issuer.example.com/',
    audience: 'kvs',
    jwksUrl: 'https://issuer.example.com/jwks.json',
    streamArnPatterns: [`arn:aws:kinesisvideo:${region ?? 'us-east-1'}:123456789012:stream/front-door/*`],
    ...overrides,
  });
  return stack;
}

const regionWarnings = (stack: Stack) =>
  Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('kvs-url-vending:region'))
    .map((entry) => entry.entry.data as string);

describe('the stack region', () => {
  it('passes quietly where Kinesis Video Streams is offered, and for an environment-agnostic stack', () => {
    expect(regionWarnings(vending('eu-west-1'))).toEqual([]);
    expect(regionWarnings(vending('us-east-1'))).toEqual([]);
    expect(regionWarnings(vending(undefined))).toEqual([]);
    expect(KVS_REGIONS).toContain('eu-central-1');
  });

  it('warns at synth in a region where KVS is not offered, saying where it is and how to acknowledge', () => {
    const messages = regionWarnings(vending('eu-north-1'));

    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/Kinesis Video Streams is not listed as offered in eu-north-1/);
    expect(messages[0]).toMatch(/offered in us-east-1, .*eu-west-1/);
    expect(messages[0]).toMatch(/"acknowledgedWarnings": \["kvs-url-vending:region"\]/);
  });

  it('refuses stream ARN patterns of another region than the stack’s, naming them', () => {
    expect(() =>
      vending('eu-west-1', {
        streamArnPatterns: [
          'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/a/*',
          'arn:aws:kinesisvideo:us-east-1:123456789012:stream/b/*',
        ],
      }),
    ).toThrow(
      /streamArnPatterns arn:aws:kinesisvideo:us-east-1:123456789012:stream\/b\/\* name streams outside the stack's region eu-west-1/,
    );
  });
});

describe('acknowledgedWarnings in cdk.json', () => {
  const reservationWarnings = (overrides: Record<string, unknown>) =>
    Annotations.fromStack(synthApp({ overrides }).stack)
      .findWarning('*', Match.stringLikeRegexp('reservedConcurrency'))
      .map((entry) => entry.entry.data as string);

  it('the reservedConcurrency warning says how to acknowledge it, and the acknowledgement silences it', () => {
    const [message] = reservationWarnings({ reservedConcurrency: 50 });

    expect(message).toMatch(/"acknowledgedWarnings": \["kvs-url-vending:reservedConcurrency"\]/);
    expect(message).toMatch(
      /Annotations\.of\(stack\)\.acknowledgeWarning\('kvs-url-vending:reservedConcurrency'/,
    );
    expect(
      reservationWarnings({
        reservedConcurrency: 50,
        acknowledgedWarnings: ['kvs-url-vending:reservedConcurrency'],
      }),
    ).toEqual([]);
  });

  it('refuses an id the stack does not give, naming the key', () => {
    const config = { ...cdkJsonConfig(), acknowledgedWarnings: ['AwsSolutions-IAM5'] };
    expect(() => parseConfig(config)).toThrow(ConfigurationError);
    expect(() => parseConfig(config)).toThrow(/acknowledgedWarnings/);
  });
});
