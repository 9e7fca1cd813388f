import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { KvsUrlVending, type KvsUrlVendingProps } from '../../lib/constructs/kvs-url-vending';
import { synthApp } from './synth-app';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kvs-url-vending/jwt-AbCdEf';

describe('HS256 secret, no WAF, no partners, no CORS, no abuse controls, no deletion protection', () => {
  const { stack } = synthApp({
    overrides: {
      jwksUrl: undefined,
      jwtSecretArn: SECRET_ARN,
      waf: { enabled: false },
      partners: [],
      allowedOrigins: [],
      abuseControls: false,
      deletionProtection: false,
      reservedConcurrency: undefined,
      logRetentionDays: 90,
      apiGatewayCloudWatchRole: false,
    },
  });
  const template = Template.fromStack(stack);
  const vendFunction = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Vends short-lived KVS') },
    }),
  )[0] as {
    Properties: {
      Environment: { Variables: Record<string, unknown> };
      ReservedConcurrentExecutions?: number;
    };
  };

  it('points the function at the secret and lets it read only that secret', () => {
    expect(vendFunction.Properties.Environment.Variables).toMatchObject({ JWT_SECRET_ARN: SECRET_ARN });
    expect(vendFunction.Properties.Environment.Variables).not.toHaveProperty('JWT_JWKS_URL');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN },
        ]),
      },
    });
  });

  it('has no web ACL, no API keys, no usage plans, no grant writers, no CORS preflights', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    template.resourceCountIs('Custom::PartnerGrant', 0);
    expect(
      Object.keys(
        template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
      ),
    ).toEqual([]);
    expect(vendFunction.Properties.Environment.Variables).not.toHaveProperty('ALLOWED_ORIGINS');
  });

  it('keeps the partner routes requiring an API key even without partners', () => {
    const partnerMethods = template.findResources('AWS::ApiGateway::Method', {
      Properties: { ApiKeyRequired: true },
    });
    expect(Object.keys(partnerMethods)).toHaveLength(2);
  });

  it('has no rate-limit table and no rate-limit permissions', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(vendFunction.Properties.Environment.Variables).not.toHaveProperty('RATE_LIMIT_TABLE_NAME');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('dynamodb:UpdateItem');
  });

  it('honours deletion protection off, no reserved concurrency and the configured retention', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expect(vendFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (group) => (group as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays,
    );
    expect(retentions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(retentions)).toEqual(new Set([90]));
  });

  it("leaves API Gateway's account-wide CloudWatch role alone when told to", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(Object.keys(template.findResources('AWS::IAM::Role'))).toHaveLength(1);
  });

  it('has no alarm topic when no email is configured, and still four alarms', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm as { Properties: { AlarmActions?: unknown } }).Properties.AlarmActions).toBeUndefined();
    }
  });
});

describe('a partner key rotation (keyVersion bump)', () => {
  const partner = (keyVersion: number) => ({
    name: 'acme',
    rateLimit: 2,
    burstLimit: 4,
    quota: { limit: 100, period: 'WEEK' },
    keyVersion,
    grants: [
      { streams: ['site-a-*'], playbackModes: ['LIVE'], protocols: ['HLS'], maxExpiresInSeconds: 600 },
    ],
  });
  const keyIdOf = (keyVersion: number): string => {
    const template = Template.fromStack(synthApp({ overrides: { partners: [partner(keyVersion)] } }).stack);
    const keys = Object.keys(template.findResources('AWS::ApiGateway::ApiKey'));
    expect(keys).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 2, BurstLimit: 4 },
      Quota: { Limit: 100, Period: 'WEEK' },
    });
    // Without a grantId, grants are numbered within the partner, so their ids survive the rotation.
    expect(JSON.stringify(template.findResources('Custom::PartnerGrant'))).toContain(
      '\\"grantId\\":{\\"S\\":\\"acme-1\\"}',
    );
    return keys[0]!;
  };

  it('replaces the API key (a new logical id, hence a new key and key id)', () => {
    expect(keyIdOf(2)).not.toEqual(keyIdOf(1));
  });
});

describe('KvsUrlVending construct props', () => {
  const valid: KvsUrlVendingProps = {
    issuer: 'https://issuer.example.com/',
    audience: 'kvs',
    jwksUrl: 'https://issuer.example.com/jwks.json',
    streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-*/*'],
  };
  const build = (props: Partial<KvsUrlVendingProps>) => () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new KvsUrlVending(new Stack(app, 'Embedding'), 'Vending', { ...valid, ...props });
  };

  it('embeds in another app with valid props', () => {
    expect(build({})).not.toThrow();
  });

  it.each<[string, Partial<KvsUrlVendingProps>, RegExp]>([
    ['no key source', { jwksUrl: undefined }, /exactly one of jwksUrl and jwtSecret/],
    ['no stream ARN patterns', { streamArnPatterns: [] }, /streamArnPatterns/],
    [
      'a timeout within the KVS retry budget',
      { timeout: Duration.seconds(4) },
      /longer than the KVS retry budget/,
    ],
    ['a timeout beyond API Gateway', { timeout: Duration.seconds(30) }, /at most 29 seconds/],
    [
      'two partners with one name',
      {
        partners: [
          { name: 'p', rateLimit: 1, burstLimit: 1, quota: { limit: 1, period: 'DAY' }, grants: [] },
          { name: 'p', rateLimit: 1, burstLimit: 1, quota: { limit: 1, period: 'DAY' }, grants: [] },
        ],
      },
      /partner names must be unique/,
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });
});

describe('abuse-control tuning', () => {
  const { stack } = synthApp({
    overrides: {
      abuseLimits: {
        callerRatePerSecond: 2,
        callerBurst: 4,
        streamBurst: 3,
        maxConcurrentSessionsPerUser: 3,
      },
    },
  });
  const template = Template.fromStack(stack);

  it('passes each configured limit to the function, and leaves the rest to its defaults', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Vends short-lived KVS'),
      Environment: {
        Variables: Match.objectLike({
          RATE_LIMIT_TABLE_NAME: Match.anyValue(),
          RATE_LIMIT_RATE_PER_SECOND: '2',
          RATE_LIMIT_BURST: '4',
          STREAM_ADMISSION_BURST: '3',
          MAX_CONCURRENT_SESSIONS_PER_USER: '3',
        }),
      },
    });
    const fn = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('^Vends short-lived KVS') },
      }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('STREAM_ADMISSION_RATE_PER_SECOND');
  });
});
