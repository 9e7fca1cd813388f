import { App, CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { checkTemplate, type TemplateJson } from './cfn-spec';
import { synthApp } from './synth-app';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kvs-url-vending/jwt-AbCdEf';
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const grant = (grantId: string, streams: string[]) => ({
  grantId,
  streams,
  playbackModes: ['LIVE', 'ON_DEMAND'],
  protocols: ['HLS', 'DASH'],
  maxExpiresInSeconds: 600,
});

const variants: [string, Record<string, unknown>][] = [
  ['the cdk.json defaults', {}],
  [
    'HS256 secret, customer managed keys, a reservation, an alarm email; no WAF, partners, CORS, admission or CloudWatch role',
    {
      jwksUrl: undefined,
      jwtSecretArn: SECRET_ARN,
      jwtSecretKmsKeyArn: KEY_ARN,
      grantsTableKmsKeyArn: KEY_ARN,
      reservedConcurrency: 20,
      alarmEmail: 'oncall@example.com',
      waf: { enabled: false },
      partners: [],
      allowedOrigins: [],
      admission: { enabled: false },
      deletionProtection: false,
      apiGatewayCloudWatchRole: false,
    },
  ],
  [
    'two partners with several grants, a rotated key, admission settings',
    {
      partners: [
        {
          name: 'acme',
          rateLimit: 2,
          burstLimit: 4,
          quota: { limit: 100, period: 'WEEK' },
          keyVersion: 3,
          grants: [
            grant('site-a/live', ['site-a-*']),
            { ...grant('archive', ['site-a-door']), notAfter: '2030-01-01T00:00:00Z' },
          ],
        },
        {
          name: 'globex',
          rateLimit: 1,
          burstLimit: 1,
          quota: { limit: 10, period: 'MONTH' },
          grants: [{ ...grant('lobby', ['lobby']), callerLimit: { ratePerSecond: 1, burst: 2 } }],
        },
      ],
      admission: { enabled: true, callerRatePerSecond: 2, streamBurst: 3, sessionCap: 2 },
    },
  ],
];

describe.each(variants)(
  'every resource of the synthesized template matches the CloudFormation resource schemas: %s',
  (_name, overrides) => {
    const { app } = synthApp({ overrides });
    const templates = app.synth().stacks.map((stack) => stack.template as TemplateJson);

    it('has no schema problem', () => {
      expect(templates).toHaveLength(1);
      for (const template of templates) {
        expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
        expect(checkTemplate(template)).toEqual([]);
      }
    });
  },
);

describe('the schema check', () => {
  /** A small template with one mistake of each kind the check is for. */
  function wrongTemplate(): TemplateJson {
    const stack = new Stack(new App(), 'Wrong');
    new CfnResource(stack, 'Table', {
      type: 'AWS::DynamoDB::Table',
      properties: {
        TableNmae: 'grants',
        KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
        AttributeDefinitions: 'principal',
        DeletionProtectionEnabled: 'yes',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabld: true },
      },
    });
    new CfnResource(stack, 'Acl', {
      type: 'AWS::WAFv2::WebACL',
      properties: {
        Scope: 'GLOBAL',
        DefaultAction: { Allow: {} },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: 'm' },
        Rules: [],
      },
    });
    new CfnResource(stack, 'Function', {
      type: 'AWS::Lambda::Function',
      properties: {
        Code: { ZipFile: 'exports.handler = async () => 1;' },
        Role: { 'Fn::GetAtt': ['Table', 'Nope'] },
        PackageType: 'Tarball',
        MemorySize: 'lots',
        Environment: { Variables: { TABLE: { Ref: 'Missing' } } },
      },
    });
    new CfnResource(stack, 'Typo', { type: 'AWS::Lambda::Functon', properties: {} });
    new CfnResource(stack, 'Writer', { type: 'Custom::PartnerGrant', properties: { Create: '{}' } });
    new CfnOutput(stack, 'Out', { value: { 'Fn::Join': ['', ['a', 'b']] } as unknown as string });
    const template = Template.fromStack(stack).toJSON() as TemplateJson;
    // CDK makes every name it generates valid; a hand-written template may not be.
    return { ...template, Outputs: { ...template.Outputs, 'Key-Id': { Value: 'x' } } };
  }

  it('reports wrong property names, missing required properties, wrong types, values outside an enumeration, unknown types and dangling references', () => {
    expect(checkTemplate(wrongTemplate()).sort()).toEqual(
      [
        'Table.Properties.AttributeDefinitions: expected an array, got string',
        'Table.Properties.TableNmae: AWS::DynamoDB::Table has no property TableNmae',
        'Table.Properties.DeletionProtectionEnabled: expected a boolean, got string',
        'Table.Properties.TimeToLiveSpecification.Enabled: required by TimeToLiveSpecification, missing',
        'Table.Properties.TimeToLiveSpecification.Enabld: TimeToLiveSpecification has no property Enabld',
        'Acl.Properties.Scope: "GLOBAL" is not one of CLOUDFRONT, REGIONAL',
        'Function.Properties.Role: Fn::GetAtt of Table.Nope: AWS::DynamoDB::Table has no such attribute',
        'Function.Properties.PackageType: "Tarball" is not one of Image, Zip',
        'Function.Properties.MemorySize: expected an integer, got string',
        'Function.Properties.Environment.Variables.TABLE: Ref to Missing, which the template does not define',
        'Typo.Type: AWS::Lambda::Functon is not a CloudFormation resource type',
        'Writer.Properties.ServiceToken: required by custom resources, missing',
        'Outputs.Key-Id: an output name must be 1-255 letters and digits',
      ].sort(),
    );
  });
});
