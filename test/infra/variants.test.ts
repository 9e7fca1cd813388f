import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ROUTES as CONTRACT_ROUTES } from '../../lambda/contract';
import { KvsUrlVending, type KvsUrlVendingProps } from '../../lib/constructs/kvs-url-vending';
import { allow, permissionsOf, type PolicyStatement } from './iam-grants';
import { synthApp } from './synth-app';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kvs-url-vending/jwt-AbCdEf';
const TABLE_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';

/** The permissions of the one policy attached to a role, whatever statements they are merged into. */
function permissionsOfRole(template: Template, roleId: string) {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ) as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }[];
  expect(policies).toHaveLength(1);
  return permissionsOf(policies[0]!.Properties.PolicyDocument.Statement);
}

/** The logical id of the one role matching a description. */
function roleIdOf(template: Template, description: RegExp): string {
  const roles = Object.entries(
    template.findResources('AWS::IAM::Role') as Record<string, { Properties: { Description?: string } }>,
  ).filter(([, role]) => description.test(role.Properties.Description ?? ''));
  expect(roles).toHaveLength(1);
  return roles[0]![0];
}

describe('HS256 secret, no WAF, no partners, no CORS, no admission, no deletion protection', () => {
  const { stack } = synthApp({
    overrides: {
      jwksUrl: undefined,
      jwtSecretArn: SECRET_ARN,
      waf: { enabled: false },
      partners: [],
      allowedOrigins: [],
      admission: { enabled: false },
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

  it('points the media function at the same secret, and lets it read only that secret and its key secret', () => {
    const media = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('makes clips') },
      }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(media.Properties.Environment.Variables).toMatchObject({ JWT_SECRET_ARN: SECRET_ARN });
    expect(media.Properties.Environment.Variables).not.toHaveProperty('ADMISSION_TABLE_NAME');
    const secrets = permissionsOfRole(template, roleIdOf(template, /makes clips/))
      .filter((permission) => permission.action === 'secretsmanager:GetSecretValue')
      .map((permission) => JSON.stringify(permission.resource));
    expect(secrets).toHaveLength(2);
    expect(secrets.filter((resource) => resource.includes(SECRET_ARN))).toHaveLength(1);
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
    expect(Object.keys(partnerMethods)).toHaveLength(
      CONTRACT_ROUTES.filter((route) => route.credentials === 'apiKey').length,
    );
  });

  it('has no admission table and no admission permissions, and still the shared endpoint cache and the sessions table', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    const paths = Object.values(tables).map(
      (table) => (table as { Metadata: Record<string, string> }).Metadata['aws:cdk:path'],
    );
    // Grants, sessions and the endpoint cache.
    expect(paths).toHaveLength(3);
    expect(paths.some((path) => path?.includes('/Admission/'))).toBe(false);
    expect(paths.some((path) => path?.includes('/Sessions/'))).toBe(true);
    const cacheId = Object.keys(tables).find((id) =>
      (tables[id] as { Metadata: Record<string, string> }).Metadata['aws:cdk:path']?.includes(
        '/EndpointCache/',
      ),
    )!;
    expect(vendFunction.Properties.Environment.Variables).not.toHaveProperty('ADMISSION_TABLE_NAME');
    expect(vendFunction.Properties.Environment.Variables).toMatchObject({
      ENDPOINT_CACHE_TABLE_NAME: { Ref: cacheId },
    });
    // Item updates of the vend and media functions: on the endpoint cache table only. (The admin function
    // updates the control item of the grants table.)
    const writes = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => !/AdminRole/.test(id))
      .flatMap(([, policy]) =>
        (
          policy as {
            Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
          }
        ).Properties.PolicyDocument.Statement.filter((statement) =>
          JSON.stringify(statement.Action).includes('dynamodb:UpdateItem'),
        ),
      );
    expect(writes.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [cacheId, 'Arn'] }]);
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
    // The roles of the vend, media and admin functions, nothing else.
    expect(Object.keys(template.findResources('AWS::IAM::Role')).sort()).toEqual([
      expect.stringMatching(/AdminRole/) as unknown,
      expect.stringMatching(/MediaRole/) as unknown,
      expect.stringMatching(/VendRole/) as unknown,
    ]);
  });

  it('has no alarm topic when no email is configured, and still four alarms', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm as { Properties: { AlarmActions?: unknown } }).Properties.AlarmActions).toBeUndefined();
    }
  });
});

describe('shared endpoint cache off', () => {
  const { stack } = synthApp({ overrides: { sharedEndpointCache: false } });
  const template = Template.fromStack(stack);

  it('has no endpoint cache table, no variable for it and no permission on it', () => {
    const paths = Object.values(template.findResources('AWS::DynamoDB::Table')).map(
      (table) => (table as { Metadata: Record<string, string> }).Metadata['aws:cdk:path'],
    );
    expect(paths.filter((path) => path?.includes('/EndpointCache/'))).toEqual([]);
    expect(paths.filter((path) => path?.includes('/Admission/'))).toHaveLength(1);
    const functions = JSON.stringify(template.findResources('AWS::Lambda::Function'));
    expect(functions).not.toContain('ENDPOINT_CACHE_TABLE_NAME');
    expect(functions).toContain('ADMISSION_TABLE_NAME');
  });
});

describe('media', () => {
  const mediaFunctions = (template: Template) =>
    Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('makes clips') },
      }),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> }; MemorySize: number } }[];

  it('off: no media function, bucket, key secret, clip or images route; the playback routes stay', () => {
    const template = Template.fromStack(synthApp({ overrides: { media: { enabled: false } } }).stack);
    expect(mediaFunctions(template)).toHaveLength(0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const resources = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (resource) => (resource as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(resources).toContain('playback-url');
    expect(resources).not.toContain('clip-url');
    expect(resources).not.toContain('images');
    expect(
      Object.keys(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } })),
    ).toHaveLength(CONTRACT_ROUTES.filter((route) => route.action === 'vend').length);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/GetClip|GetImages|s3:/);
  });

  it('passes each configured setting to the media function, and leaves the rest to its defaults', () => {
    const template = Template.fromStack(
      synthApp({ overrides: { media: { maxClipSeconds: 60, clipUrlMaxSeconds: 300, memorySize: 2048 } } })
        .stack,
    );
    const [media] = mediaFunctions(template);
    expect(media!.Properties.MemorySize).toBe(2048);
    expect(media!.Properties.Environment.Variables).toMatchObject({
      CLIP_MAX_SECONDS: '60',
      CLIP_URL_MAX_SECONDS: '300',
    });
    expect(media!.Properties.Environment.Variables).not.toHaveProperty('CLIP_MAX_MEGABYTES');
  });
});

describe('KvsUrlVending construct props', () => {
  const valid: KvsUrlVendingProps = {
    issuer: 'https://issuer.example.com/',
    audience: 'kvs',
    jwksUrl: 'https://issuer.example.com/jwks.json',
    streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-*/*'],
  };
  const build =
    (props: Partial<KvsUrlVendingProps>, base: KvsUrlVendingProps = valid) =>
    () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      new KvsUrlVending(new Stack(app, 'Embedding'), 'Vending', { ...base, ...props });
    };

  it('embeds in another app with valid props', () => {
    expect(build({})).not.toThrow();
  });

  it('refuses props without a key source', () => {
    const { jwksUrl: _, ...withoutKeySource } = valid;

    expect(build({}, withoutKeySource)).toThrow(/exactly one of jwksUrl and jwtSecret/);
  });

  it.each<[string, Partial<KvsUrlVendingProps>, RegExp]>([
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
    [
      'two partners whose names differ only in dashes and letter case',
      {
        partners: [
          { name: 'ac-me', rateLimit: 1, burstLimit: 1, quota: { limit: 1, period: 'DAY' }, grants: [] },
          { name: 'ACME', rateLimit: 1, burstLimit: 1, quota: { limit: 1, period: 'DAY' }, grants: [] },
        ],
      },
      /partners\.1\.name: ACME and ac-me are one name once normalised/,
    ],
    [
      'two grants of a partner with one grantId',
      {
        partners: [
          {
            name: 'acme',
            rateLimit: 1,
            burstLimit: 1,
            quota: { limit: 1, period: 'DAY' },
            grants: ['live', 'live'].map((grantId) => ({
              grantId,
              streams: ['cam-1'],
              playbackModes: ['LIVE'],
              protocols: ['HLS'],
              maxExpiresInSeconds: 300,
            })),
          },
        ],
      },
      /partners\.0\.grants\.1\.grantId: duplicate grantId live in partner acme/,
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });
});

describe('admission settings', () => {
  const { stack } = synthApp({
    overrides: {
      admission: {
        callerRatePerSecond: 2,
        callerBurst: 4,
        streamBurst: 3,
        sessionCap: 3,
      },
    },
  });
  const template = Template.fromStack(stack);

  it('passes each configured setting to the function, and leaves the rest to its defaults', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Vends short-lived KVS'),
      Environment: {
        Variables: Match.objectLike({
          ADMISSION_TABLE_NAME: Match.anyValue(),
          ADMISSION_CALLER_RATE_PER_SECOND: '2',
          ADMISSION_CALLER_BURST: '4',
          ADMISSION_STREAM_BURST: '3',
          ADMISSION_SESSION_CAP: '3',
        }),
      },
    });
    const fn = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('^Vends short-lived KVS') },
      }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('ADMISSION_STREAM_RATE_PER_SECOND');
  });
});

describe('a reserved concurrency', () => {
  const warnings = (overrides: Record<string, unknown>) =>
    Annotations.fromStack(synthApp({ overrides }).stack)
      .findWarning('*', Match.stringLikeRegexp('reservedConcurrency'))
      .map((entry) => entry.entry.data as string);

  it('is passed to the function and explained at synth: what the account needs, and that synth cannot check it', () => {
    const { stack } = synthApp({ overrides: { reservedConcurrency: 50 } });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Vends short-lived KVS'),
      ReservedConcurrentExecutions: 50,
    });
    const messages = warnings({ reservedConcurrency: 50 });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/reservedConcurrency 50 takes 50 /);
    // Lambda refuses a reservation that would leave fewer than 100 unreserved executions.
    expect(messages[0]).toMatch(/UnreservedConcurrentExecutions of at least 150/);
    expect(messages[0]).toMatch(/aws lambda get-account-settings/);
    expect(messages[0]).toMatch(/synth cannot check this offline/);
  });

  it('is absent from the default configuration, and so is the message', () => {
    expect(warnings({})).toEqual([]);
  });
});

describe('customer managed KMS keys on the grants table and the signing secret', () => {
  const { stack } = synthApp({
    overrides: {
      jwksUrl: undefined,
      jwtSecretArn: SECRET_ARN,
      jwtSecretKmsKeyArn: SECRET_KEY_ARN,
      grantsTableKmsKeyArn: TABLE_KEY_ARN,
    },
  });
  const template = Template.fromStack(stack);
  const tableKeyUse = { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } };
  const secretKeyUse = { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } };

  it('encrypts the grants table with the configured key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([{ AttributeName: 'principal', KeyType: 'HASH' }]),
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: TABLE_KEY_ARN },
    });
  });

  it('lets the vend function decrypt with the table key through DynamoDB and with the secret key through Secrets Manager, nothing more', () => {
    const permissions = permissionsOfRole(template, roleIdOf(template, /^Vends KVS playback URLs/));
    const kms = permissions.filter((permission) => permission.action.startsWith('kms:'));
    expect(kms).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:DescribeKey'],
          Resource: TABLE_KEY_ARN,
          Condition: tableKeyUse,
        },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: SECRET_KEY_ARN, Condition: secretKeyUse },
      ]),
    );
    expect(permissions).toEqual(expect.arrayContaining(allow(['secretsmanager:GetSecretValue'], SECRET_ARN)));
  });

  it('lets the partner grant writer encrypt and decrypt with the table key through DynamoDB', () => {
    const permissions = permissionsOfRole(
      template,
      roleIdOf(template, /^Writes the grants of configured partners/),
    );
    expect(permissions.filter((permission) => permission.action.startsWith('kms:'))).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: TABLE_KEY_ARN,
          Condition: tableKeyUse,
        },
      ]),
    );
  });

  it('does the same for keys given to the construct', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const embedding = new Stack(app, 'Embedding', { env: { region: 'eu-west-1' } });
    const tableKey = kms.Key.fromKeyArn(
      embedding,
      'TableKey',
      TABLE_KEY_ARN.replace('us-east-1', 'eu-west-1'),
    );
    const secretKey = new kms.Key(embedding, 'SecretKey', { enableKeyRotation: true });
    const secret = new secretsmanager.Secret(embedding, 'Secret', { encryptionKey: secretKey });
    new KvsUrlVending(embedding, 'Vending', {
      issuer: 'https://issuer.example.com/',
      audience: 'kvs',
      // aws-cdk-lib declares secretFullArn differently on Secret and ISecret; with exact optional
      // properties only the interface view of the secret type-checks.
      jwtSecret: secret as secretsmanager.ISecret,
      streamArnPatterns: ['arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-*/*'],
      grantsTableEncryptionKey: tableKey,
      partners: [
        {
          name: 'acme',
          rateLimit: 1,
          burstLimit: 1,
          quota: { limit: 1, period: 'DAY' },
          grants: [
            {
              grantId: 'live',
              streams: ['cam-1'],
              playbackModes: ['LIVE'],
              protocols: ['HLS'],
              maxExpiresInSeconds: 300,
            },
          ],
        },
      ],
    });
    const embedded = Template.fromStack(embedding);
    const vend = permissionsOfRole(embedded, roleIdOf(embedded, /^Vends KVS playback URLs/));
    const secretKeyArn = {
      'Fn::GetAtt': [embedding.getLogicalId(secretKey.node.defaultChild as kms.CfnKey), 'Arn'],
    };
    expect(vend).toEqual(
      expect.arrayContaining([
        ...allow(['kms:Decrypt', 'kms:DescribeKey'], tableKey.keyArn, {
          StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' },
        }),
        ...allow(['kms:Decrypt'], secretKeyArn, {
          StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
        }),
      ]),
    );
    const writer = permissionsOfRole(
      embedded,
      roleIdOf(embedded, /^Writes the grants of configured partners/),
    );
    expect(writer).toEqual(
      expect.arrayContaining(
        allow(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], tableKey.keyArn, {
          StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' },
        }),
      ),
    );
  });
});

describe('a partner key rotated with overlap (previousKey)', () => {
  const partnerWith = (previousKey: { keyVersion: number; until: string }) => ({
    name: 'example-partner',
    rateLimit: 5,
    burstLimit: 10,
    quota: { limit: 10000, period: 'DAY' },
    keyVersion: 2,
    previousKey,
    grants: [
      {
        grantId: 'front-door-live',
        streams: ['front-door'],
        playbackModes: ['LIVE'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 300,
        notAfter: '2099-06-01T00:00:00Z',
      },
    ],
  });
  /** The item each grant writer puts, as the template holds it (a JSON string with the key id in it). */
  const grantItems = (template: Template) =>
    Object.values(template.findResources('Custom::PartnerGrant')).map((resource) =>
      JSON.stringify((resource as { Properties: { Create: unknown } }).Properties.Create),
    );
  const warningsOf = (stack: Stack) =>
    Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('previous key'))
      .map((entry) => entry.entry.data as string);

  it('keeps the old key working beside the new one until its date: both on the usage plan, the old grants ending then', () => {
    const { stack } = synthApp({
      overrides: { partners: [partnerWith({ keyVersion: 1, until: '2099-01-01T00:00:00Z' })] },
    });
    const template = Template.fromStack(stack);
    const keys = template.findResources('AWS::ApiGateway::ApiKey');
    expect(Object.keys(keys).sort()).toEqual([
      expect.stringMatching(/examplepartnerKeyV1/) as unknown,
      expect.stringMatching(/examplepartnerKeyV2/) as unknown,
    ]);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['PartnerKeyIdexamplepartner', 'PartnerPreviousKeyIdexamplepartner']),
    );
    // The new key's grant as configured; the old key's ends at the key's date, before the grant's own.
    const items = grantItems(template);
    expect(items).toHaveLength(2);
    expect(items.filter((item) => item.includes('2099-06-01T00:00:00Z'))).toHaveLength(1);
    expect(items.filter((item) => item.includes('2099-01-01T00:00:00'))).toHaveLength(1);
    expect(items.every((item) => item.includes('\\"managedBy\\":{\\"S\\":\\"stack\\"}'))).toBe(true);
    expect(warningsOf(stack)).toEqual([]);
  });

  it('drops the old key once its date has passed, and says so at synth', () => {
    const { stack } = synthApp({
      overrides: { partners: [partnerWith({ keyVersion: 1, until: '2020-01-01T00:00:00Z' })] },
    });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::ApiGateway::ApiKey'))).toEqual([
      expect.stringMatching(/examplepartnerKeyV2/) as unknown,
    ]);
    expect(grantItems(template)).toHaveLength(1);
    const warnings = warningsOf(stack);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/keyVersion 1\) was to work until 2020-01-01T00:00:00Z, which has passed/);
    expect(warnings[0]).toMatch(/this deploy deletes that key and its grants/);
  });

  it('refuses a previous key that is not older than the current one', () => {
    expect(() =>
      synthApp({ overrides: { partners: [partnerWith({ keyVersion: 2, until: '2099-01-01T00:00:00Z' })] } }),
    ).toThrow(/previousKey\.keyVersion.*must be below keyVersion \(2\)/s);
  });
});
