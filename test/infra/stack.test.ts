import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { cdkJsonConfig, synthApp } from './synth-app';
import {
  CORS,
  FUNCTION_OF_ACTION,
  PLAYBACK_URL_REQUEST,
  ROUTES as CONTRACT_ROUTES,
} from '../../lambda/contract';
import { CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA } from '../../lib/vend-bundling';
import {
  DEFAULT_MEDIA_BUDGET_MS,
  MEDIA_FUNCTION_MEMORY_MB,
  MEDIA_FUNCTION_TIMEOUT_SECONDS,
  MEDIA_KEY_PREFIX,
  MEDIA_OBJECT_EXPIRY_DAYS,
} from '../../lambda/vend/media-config';
import { permissionsOf, type PolicyStatement } from './iam-grants';

// One synthesis with real esbuild bundling, shared by every assertion of this file.
const ALARM_EMAIL = 'oncall@example.com';
const { stack, outdir } = synthApp({ bundle: true, overrides: { alarmEmail: ALARM_EMAIL } });
const template = Template.fromStack(stack);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A resource of the synthesized template, typed loosely enough to read and strictly enough to lint. */
interface CfnJson {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
}
const find = (type: string, props: Record<string, unknown> = {}): Record<string, CfnJson> =>
  template.findResources(type, props) as Record<string, CfnJson>;
const allResources = (template.toJSON() as { Resources: Record<string, CfnJson> }).Resources;
const config = cdkJsonConfig();
const STREAM_ARN = (config.streamArnPatterns as string[])[0]!;

const functions = find('AWS::Lambda::Function', {
  Properties: { Description: Match.stringLikeRegexp('^Vends short-lived KVS') },
});
const [vendFunctionId, vendFunction] = Object.entries(functions)[0]!;
const mediaFunctionId = Object.keys(
  find('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('makes clips') } }),
)[0]!;
const ref = (id: string) => ({ Ref: id });
const logicalId = (type: string, props: Record<string, unknown> = {}): string => {
  const found = Object.keys(find(type, props));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const grantsTableId = logicalId('AWS::DynamoDB::Table', {
  Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'grantId', KeyType: 'RANGE' }]) },
});
const sessionsTableId = logicalId('AWS::DynamoDB::Table', {
  Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'sessionKey', KeyType: 'RANGE' }]) },
});
const adminFunctions = find('AWS::Lambda::Function', {
  Properties: { Description: Match.stringLikeRegexp('^Admin API of kvs-url-vending') },
});
const [adminFunctionId, adminFunction] = Object.entries(adminFunctions)[0]!;
const admissionTableId = logicalId('AWS::DynamoDB::Table', {
  Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] },
  Metadata: { 'aws:cdk:path': Match.stringLikeRegexp('/Admission/') },
});
const endpointCacheTableId = logicalId('AWS::DynamoDB::Table', {
  Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] },
  Metadata: { 'aws:cdk:path': Match.stringLikeRegexp('/EndpointCache/') },
});

describe('vend function', () => {
  it('is the only function with the handler, on the newest Node.js runtime, ARM64, with explicit memory and timeout above the KVS retry budget', () => {
    expect(Object.keys(functions)).toHaveLength(1);
    expect(vendFunction.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) as unknown } },
    });
  });

  it('reserves no concurrency by default: a reservation fails the deploy in accounts with a low limit', () => {
    expect(config).not.toHaveProperty('reservedConcurrency');
    expect(vendFunction.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('logs to its own log group with the configured retention, kept when the stack is deleted', () => {
    const logGroupId = (vendFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    expect(allResources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('is configured through the environment variables of lambda/vend/config.ts', () => {
    expect((vendFunction.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      JWT_ISSUER: config.issuer,
      JWT_AUDIENCE: config.audience,
      JWT_JWKS_URL: config.jwksUrl,
      ALLOWED_ORIGINS: (config.allowedOrigins as string[]).join(','),
      GRANTS_TABLE_NAME: ref(grantsTableId),
      ADMISSION_TABLE_NAME: ref(admissionTableId),
      SESSIONS_TABLE_NAME: ref(sessionsTableId),
      ENDPOINT_CACHE_TABLE_NAME: ref(endpointCacheTableId),
      POWERTOOLS_SERVICE_NAME: 'kvs-url-vending',
      POWERTOOLS_METRICS_NAMESPACE: 'KvsUrlVending',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  describe('bundle', () => {
    // The function's S3 key names the asset; the cloud assembly's asset manifest says where it was staged.
    const assetHash = (vendFunction.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const manifest = JSON.parse(
      readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string } }>;
    };
    const assetDir = path.join(outdir, manifest.files[assetHash]!.source.path);
    const files = readdirSync(assetDir).sort();
    const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');

    it('is one minified ES module with its source map', () => {
      expect(files).toEqual(['index.mjs', 'index.mjs.map']);
      // Minified: long lines (only template literals break them) and no indentation.
      const lines = code.split('\n');
      expect(code.length / lines.length).toBeGreaterThan(5000);
      expect(lines.filter((line) => /^ {2}\S/.test(line)).length).toBeLessThan(lines.length / 4);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      const map = JSON.parse(readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(map.sources.some((source) => source.endsWith('lambda/vend/handler.ts'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    });

    it('carries the AWS SDK and every dependency inside: only Node.js built-ins are imported', () => {
      // Regex tests rather than toContain: a failure would otherwise print half a megabyte of bundle.
      expect(code.includes('GetHLSStreamingSessionURL')).toBe(true);
      expect(code.includes('GetDataEndpoint')).toBe(true);
      const imported = new Set(
        [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"([^"]+)"/g)].map((match) => match[1]!),
      );
      expect(imported.has('node:crypto')).toBe(true);
      const required = [...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!);
      // Only the credential providers a Lambda function never reaches are left to the runtime.
      const external = [...imported, ...required].filter((name) => !name.startsWith('node:'));
      expect([...new Set(external)].sort()).toEqual([...CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA].sort());
      expect(code.length).toBeGreaterThan(100_000);
    });

    it('carries the small semver stand-in instead of the full parser', () => {
      expect(code.includes('Unsupported range in the bundled semver')).toBe(true);
      expect(code.includes('Invalid comparator')).toBe(false);
    });

    it('starts as an ES module under Node.js and answers a request without credentials with 401', () => {
      const script = `
        const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)});
        const response = await handler({
          httpMethod: 'GET', path: '/v1/streams', resource: '/v1/streams', headers: {}, multiValueHeaders: {},
          requestContext: { requestId: 'bundle-test', identity: { sourceIp: '192.0.2.1' } },
          body: null, isBase64Encoded: false, pathParameters: null, queryStringParameters: null,
        }, { awsRequestId: 'bundle-test', functionName: 'vend', getRemainingTimeInMillis: () => 5000 });
        process.stdout.write('\\n' + JSON.stringify(response));
      `;
      const output = execFileSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          JWT_ISSUER: 'https://issuer.example.com/',
          JWT_AUDIENCE: 'kvs-url-vending',
          JWT_JWKS_URL: 'https://issuer.example.com/.well-known/jwks.json',
          GRANTS_TABLE_NAME: 'grants',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
        encoding: 'utf8',
      });
      // The refusal's EMF metric line comes first; the response is the last line.
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      const response = JSON.parse(lines.at(-1)!) as { statusCode: number; body: string };
      expect(response.statusCode).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect(lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
        expect.objectContaining({ Refusals: 1, StatusCode: '401' }),
      );
    });
  });
});

describe('admin function', () => {
  it('is the only function with the admin handler, on the same runtime and architecture, traced, with its own retained log group', () => {
    expect(Object.keys(adminFunctions)).toHaveLength(1);
    expect(adminFunction.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) as unknown } },
    });
    const logGroupId = (adminFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(logGroupId).not.toBe(
      (vendFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(allResources[logGroupId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('is configured through the environment variables of lambda/admin/config.ts', () => {
    expect((adminFunction.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      GRANTS_TABLE_NAME: ref(grantsTableId),
      SESSIONS_TABLE_NAME: ref(sessionsTableId),
      POWERTOOLS_SERVICE_NAME: 'kvs-url-vending-admin',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('is its own bundle, without the JWT verifier or the KVS clients, and refuses a request that carries no IAM identity', () => {
    const assetHash = (adminFunction.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const manifest = JSON.parse(
      readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string } }>;
    };
    const assetDir = path.join(outdir, manifest.files[assetHash]!.source.path);
    const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(code.includes('GetHLSStreamingSessionURL')).toBe(false);
    expect(code.includes('JsonWebTokenError')).toBe(false);
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)});
      const response = await handler({
        httpMethod: 'GET', path: '/admin/v1/principals/user%3Aalice/grants',
        resource: '/admin/v1/principals/{principal}/grants', headers: {}, multiValueHeaders: {},
        requestContext: { requestId: 'bundle-test', identity: { sourceIp: '192.0.2.1' } },
        body: null, isBase64Encoded: false, pathParameters: { principal: 'user:alice' }, queryStringParameters: null,
      }, { awsRequestId: 'bundle-test', functionName: 'admin', getRemainingTimeInMillis: () => 5000 });
      process.stdout.write('\\n' + JSON.stringify(response));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        GRANTS_TABLE_NAME: 'grants',
        SESSIONS_TABLE_NAME: 'sessions',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
      encoding: 'utf8',
    });
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const response = JSON.parse(lines.at(-1)!) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('validates the grant body against a closed schema with its required fields', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'GrantRequest',
      Schema: Match.objectLike({
        type: 'object',
        additionalProperties: false,
        // playbackModes and protocols: required with PLAY only, which the function checks.
        required: ['streams', 'maxExpiresInSeconds'],
        properties: Match.objectLike({
          capabilities: {
            type: 'array',
            items: { type: 'string', enum: ['PLAY', 'CLIP', 'IMAGES'] },
          },
          playbackModes: {
            type: 'array',
            items: { type: 'string', enum: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] },
          },
          callerLimit: {
            type: 'object',
            additionalProperties: false,
            properties: { ratePerSecond: { type: 'number' }, burst: { type: 'integer' } },
            required: ['ratePerSecond', 'burst'],
          },
        }),
      }),
    });
  });
});

describe('IAM', () => {
  const statementsOfRole = (roleId: string): PolicyStatement[] => {
    const policies = find('AWS::IAM::Policy', { Properties: { Roles: [ref(roleId)] } });
    expect(Object.keys(policies)).toHaveLength(1);
    return (Object.values(policies)[0]!.Properties.PolicyDocument as { Statement: PolicyStatement[] })
      .Statement;
  };

  it('gives the vend function exactly: its logs, the grants table (Query, and GetItem of the control item only), the admission and endpoint cache tables (GetItem, UpdateItem), the session log (write, count), KVS playback on the configured streams, ListStreams, X-Ray', () => {
    const roleId = (vendFunction.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const statements = statementsOfRole(roleId);
    const logGroupId = (vendFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(permissionsOf(statements)).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] },
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#control'] } },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
          Resource: { 'Fn::GetAtt': [sessionsTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: [
            'kinesisvideo:GetDataEndpoint',
            'kinesisvideo:GetHLSStreamingSessionURL',
            'kinesisvideo:GetDASHStreamingSessionURL',
          ],
          Resource: STREAM_ARN,
        },
        { Effect: 'Allow', Action: 'kinesisvideo:ListStreams', Resource: '*' },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [admissionTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [endpointCacheTableId, 'Arn'] },
        },
      ]),
    );
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
    const json = JSON.stringify(statements);
    expect(json).not.toMatch(/"Action":"[a-z0-9]+:\*"|"Action":"\*"/);
    expect(json).not.toContain('secretsmanager');
    expect(json).not.toContain('kms:');
  });

  it('attaches no managed policy to any function role and lets only Lambda assume them', () => {
    for (const fn of [vendFunction, allResources[mediaFunctionId]!, adminFunction]) {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      const role = allResources[roleId]!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect((role.Properties.AssumeRolePolicyDocument as { Statement: unknown }).Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });

  it('gives the admin function exactly: its logs, the grants table (read, put, delete; update of the control item only), the session log and its indexes (Query), X-Ray', () => {
    const roleId = (adminFunction.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const logGroupId = (adminFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    const sessionsArn = { 'Fn::GetAtt': [sessionsTableId, 'Arn'] };
    const index = (name: string) => ({ 'Fn::Join': ['', [sessionsArn, `/index/${name}`]] });
    expect(permissionsOf(statementsOfRole(roleId))).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] },
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#control'] } },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: [sessionsArn, index('byStream'), index('byGrantPrincipal')],
        },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]),
    );
    const json = JSON.stringify(statementsOfRole(roleId));
    expect(json).not.toContain('kinesisvideo');
    expect(json).not.toContain('secretsmanager');
  });

  it('lets the partner grant writer only put and delete items of the grants table, and write its logs', () => {
    const roleId = logicalId('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('^Writes the grants of configured partners') },
    });
    const logGroupId = logicalId('AWS::Logs::LogGroup', {
      Metadata: { 'aws:cdk:path': Match.stringLikeRegexp('/Partners/GrantWriterLogs/') },
    });
    expect(permissionsOf(statementsOfRole(roleId))).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ]),
    );
  });
});

describe('media function (clips and images)', () => {
  const mediaFunction = allResources[mediaFunctionId]!;
  const roleId = (mediaFunction.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  const bucketId = logicalId('AWS::S3::Bucket');
  const secretId = logicalId('AWS::SecretsManager::Secret', {
    Properties: { Description: Match.stringLikeRegexp('clip object keys') },
  });

  it("is a function of its own, with a timeout below API Gateway's 29 s and above its media budget", () => {
    expect(mediaFunctionId).not.toBe(vendFunctionId);
    expect(mediaFunction.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: MEDIA_FUNCTION_MEMORY_MB,
      Timeout: MEDIA_FUNCTION_TIMEOUT_SECONDS,
      TracingConfig: { Mode: 'Active' },
    });
    expect(MEDIA_FUNCTION_TIMEOUT_SECONDS).toBeLessThan(29);
    expect(DEFAULT_MEDIA_BUDGET_MS).toBeLessThan(MEDIA_FUNCTION_TIMEOUT_SECONDS * 1000);
    // Its own bundle: the vend function's asset does not carry the S3 client.
    expect((mediaFunction.Properties.Code as { S3Key: string }).S3Key).not.toBe(
      (vendFunction.Properties.Code as { S3Key: string }).S3Key,
    );
  });

  it('is configured through lambda/vend/config.ts and media-config.ts: its bucket, its key secret by ARN, never a secret value', () => {
    const variables = (mediaFunction.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables).toMatchObject({
      JWT_ISSUER: config.issuer,
      JWT_AUDIENCE: config.audience,
      GRANTS_TABLE_NAME: ref(grantsTableId),
      ADMISSION_TABLE_NAME: ref(admissionTableId),
      MEDIA_BUCKET_NAME: ref(bucketId),
      MEDIA_KEY_SECRET_ARN: ref(secretId),
      MEDIA_BUDGET_MS: String(DEFAULT_MEDIA_BUDGET_MS),
    });
    expect(variables).not.toHaveProperty('MEDIA_KEY_SECRET');
    expect(variables).not.toHaveProperty('S3_ENDPOINT');
  });

  it('gets exactly: its logs, the grants table (Query), the admission table, GetClip/GetImages/ListFragments/GetDataEndpoint on the configured streams, Put/GetObject under its prefix, its key secret, X-Ray', () => {
    const policies = find('AWS::IAM::Policy', { Properties: { Roles: [ref(roleId)] } });
    expect(Object.keys(policies)).toHaveLength(1);
    const statements = (
      Object.values(policies)[0]!.Properties.PolicyDocument as { Statement: PolicyStatement[] }
    ).Statement;
    const logGroupId = (mediaFunction.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(permissionsOf(statements)).toEqual(
      permissionsOf([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] } },
        // The control epoch, as the vend function reads it: a revoked caller gets no clip or image either.
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: { 'Fn::GetAtt': [grantsTableId, 'Arn'] },
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#control'] } },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [admissionTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: [
            'kinesisvideo:GetDataEndpoint',
            'kinesisvideo:ListFragments',
            'kinesisvideo:GetClip',
            'kinesisvideo:GetImages',
          ],
          Resource: STREAM_ARN,
        },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${MEDIA_KEY_PREFIX}*`]] },
        },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ref(secretId) },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]),
    );
    const json = JSON.stringify(statements);
    expect(json).not.toMatch(/"Action":"[a-z0-9]+:\*"|"Action":"\*"/);
    expect(json).not.toMatch(/StreamingSessionURL|ListStreams|s3:ListBucket|s3:DeleteObject/);
    expect(allResources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('keeps media in a private bucket: public access blocked, encrypted, owner-enforced, objects expiring within a day', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: MEDIA_OBJECT_EXPIRY_DAYS })],
        },
      },
      DeletionPolicy: 'Retain',
    });
    expect(MEDIA_OBJECT_EXPIRY_DAYS).toBe(1);
    expect(JSON.stringify(allResources[bucketId]!.Properties)).not.toMatch(
      /WebsiteConfiguration|CorsConfiguration/,
    );
  });

  it('lets the bucket answer over TLS 1.2 or newer only, and grants nothing in its policy', () => {
    const policies = Object.values(find('AWS::S3::BucketPolicy', { Properties: { Bucket: ref(bucketId) } }));
    expect(policies).toHaveLength(1);
    const statements = (policies[0]!.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement;
    expect(statements.every((statement) => statement.Effect === 'Deny')).toBe(true);
    expect(statements.map((statement) => statement.Condition)).toEqual(
      expect.arrayContaining([
        { Bool: { 'aws:SecureTransport': 'false' } },
        { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      ]),
    );
  });
});

describe('grants table', () => {
  it('is on demand, with point-in-time recovery, encryption, deletion protection and the principal/grantId key', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'principal', KeyType: 'HASH' },
          { AttributeName: 'grantId', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'principal', AttributeType: 'S' },
          { AttributeName: 'grantId', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets revocations that end expire through ttl', () => {
    expect(allResources[grantsTableId]!.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'ttl',
      Enabled: true,
    });
  });

  it('has a sessions table keyed by caller and session, with its stream and grant-principal indexes, items expiring at their end', () => {
    const index = (name: string, key: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: key, KeyType: 'HASH' },
        { AttributeName: 'sessionKey', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    expect(allResources[sessionsTableId]!.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'principal', KeyType: 'HASH' },
        { AttributeName: 'sessionKey', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [index('byStream', 'stream'), index('byGrantPrincipal', 'grantPrincipal')],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it.each([
    ['admission', () => admissionTableId],
    ['endpoint cache', () => endpointCacheTableId],
  ])('has a separate %s table whose items expire through ttl, destroyed with the stack', (_, id) => {
    expect(allResources[id()]).toMatchObject({
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Delete',
    });
  });
});

describe('REST API', () => {
  const methods = find('AWS::ApiGateway::Method');
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  /** The full path of an API Gateway resource, rebuilt from its parent chain. */
  const pathOf = (resourceId: unknown): string => {
    if (typeof resourceId === 'object' && resourceId !== null && 'Fn::GetAtt' in resourceId) return '';
    const id = (resourceId as { Ref: string }).Ref;
    const resource = resources[id]!;
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
  };
  // The contract's routes; the MOCK methods (preflights, answers for unknown paths and methods) are
  // tested in edge-answers.test.ts.
  const routes = Object.values(methods)
    .filter((method) => (method.Properties.Integration as { Type: string }).Type !== 'MOCK')
    .map((method) => ({
      route: `${method.Properties.HttpMethod as string} ${pathOf(method.Properties.ResourceId)}`,
      apiKeyRequired: method.Properties.ApiKeyRequired as boolean,
      authorizationType: method.Properties.AuthorizationType as string,
      integration: method.Properties.Integration as {
        Type: string;
        IntegrationHttpMethod: string;
        Uri: unknown;
      },
      method: method.Properties,
    }))
    .sort((a, b) => a.route.localeCompare(b.route));

  it('has exactly the routes of the contract (docs/ARCHITECTURE.md), partner twins requiring an API key', () => {
    expect(
      routes.map(({ route, apiKeyRequired, authorizationType }) => ({
        route,
        apiKeyRequired,
        authorizationType,
      })),
    ).toEqual(
      CONTRACT_ROUTES.map((route) => ({
        route: `${route.method} ${route.resource}`,
        apiKeyRequired: route.credentials === 'apiKey',
        // Admin routes: API Gateway checks SigV4 and the caller's IAM policy before the function runs.
        authorizationType: route.credentials === 'awsIam' ? 'AWS_IAM' : 'NONE',
      })).sort((a, b) => a.route.localeCompare(b.route)),
    );
    expect(
      routes.filter((route) => route.authorizationType === 'AWS_IAM').map((route) => route.route),
    ).toEqual(routes.map((route) => route.route).filter((route) => route.includes(' /admin/v1/')));
  });

  it('sends every route to the function the contract names for it (FUNCTION_OF_ACTION), through the Lambda proxy integration', () => {
    const functionIds = { vend: vendFunctionId, media: mediaFunctionId, admin: adminFunctionId };
    for (const { route, integration } of routes) {
      const contract = CONTRACT_ROUTES.find((item) => `${item.method} ${item.resource}` === route)!;
      expect(integration.Type).toBe('AWS_PROXY');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      const expected = functionIds[FUNCTION_OF_ACTION[contract.action]];
      expect(JSON.stringify(integration.Uri)).toContain(expected);
      for (const other of Object.values(functionIds).filter((id) => id !== expected)) {
        expect(JSON.stringify(integration.Uri)).not.toContain(other);
      }
    }
    // One invoke permission per route, scoped to that route, and no test-invoke permissions.
    for (const [name, id] of Object.entries(functionIds)) {
      expect(
        Object.keys(
          template.findResources('AWS::Lambda::Permission', {
            Properties: { FunctionName: { 'Fn::GetAtt': [id, 'Arn'] } },
          }),
        ),
      ).toHaveLength(CONTRACT_ROUTES.filter((route) => FUNCTION_OF_ACTION[route.action] === name).length);
    }
  });

  it('validates the playback request body against a closed schema and requires the stream name', () => {
    const post = routes.filter(({ route }) => route.startsWith('POST') && route.endsWith('/playback-url'));
    expect(post).toHaveLength(2);
    const playbackModel = logicalId('AWS::ApiGateway::Model', {
      Properties: { Name: PLAYBACK_URL_REQUEST.name },
    });
    for (const { method } of post) {
      expect(method.RequestParameters).toEqual({ 'method.request.path.streamName': true });
      expect(method.RequestModels).toEqual({ 'application/json': { Ref: playbackModel } });
      expect(method.RequestValidatorId).toEqual({ Ref: logicalId('AWS::ApiGateway::RequestValidator') });
    }
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({
        type: 'object',
        additionalProperties: false,
        // Every field of the contract's body, with its type and enumeration, and nothing else.
        properties: Object.fromEntries(
          Object.entries(PLAYBACK_URL_REQUEST.fields).map(([name, field]) => [
            name,
            { type: field.type, ...('enum' in field ? { enum: [...field.enum] } : {}) },
          ]),
        ),
      }),
    });
  });

  it('stage: throttled, traced, JSON access logs to an explicit log group, no caching and no data tracing anywhere', () => {
    const stage = Object.values(find('AWS::ApiGateway::Stage'))[0]!.Properties;
    expect(stage).toMatchObject({ StageName: 'prod', TracingEnabled: true });
    expect(stage.CacheClusterEnabled ?? false).toBe(false);
    // Exactly one stage-wide entry: API Gateway keys method settings by resource path and method, so a
    // second `/*/*` entry is a duplicate of the first, not an addition to it.
    expect(stage.MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
        CachingEnabled: false,
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
        MetricsEnabled: true,
      },
    ]);
    const accessLogGroup = (stage.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': string[] } })
      .DestinationArn['Fn::GetAtt'][0]!;
    expect(resources[accessLogGroup]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    const format = JSON.parse((stage.AccessLogSetting as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
      apiKeyId: '$context.identity.apiKeyId',
    });
    // Nothing that could hold a bearer secret: no headers, no query strings, no bodies.
    expect(JSON.stringify(format)).not.toMatch(/header|querystring|body|authorizer/i);
  });

  it("sets up API Gateway's CloudWatch role for execution logs by default", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
      },
    });
  });

  it('allows CORS preflights only on the user routes and only for the configured origins', () => {
    const options = Object.values(methods).filter((method) => method.Properties.HttpMethod === 'OPTIONS');
    const paths = options.map((method) => pathOf(method.Properties.ResourceId)).sort();
    expect(paths).toEqual([
      '/v1/streams',
      '/v1/streams/{streamName}/clip-url',
      '/v1/streams/{streamName}/images',
      '/v1/streams/{streamName}/playback-url',
    ]);
    const origin = (config.allowedOrigins as string[])[0]!;
    for (const method of options) {
      const integration = JSON.stringify(method.Properties.Integration);
      expect(integration).toContain(`$origin == \\"${origin}\\"`);
      expect(integration).not.toContain("'*'");
      expect(integration).toContain(`'${CORS.allowHeaders.join(',')}'`);
      expect(method.Properties.ApiKeyRequired ?? false).toBe(false);
    }
  });

  it('has one API key and one usage plan per partner with its throttle and quota, on the stage', () => {
    const partner = (
      config.partners as { rateLimit: number; burstLimit: number; quota: { limit: number; period: string } }[]
    )[0]!;
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Enabled: true, Value: Match.absent() });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: partner.rateLimit, BurstLimit: partner.burstLimit },
      Quota: { Limit: partner.quota.limit, Period: partner.quota.period },
      ApiStages: [
        {
          ApiId: { Ref: logicalId('AWS::ApiGateway::RestApi') },
          Stage: { Ref: logicalId('AWS::ApiGateway::Stage') },
        },
      ],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: logicalId('AWS::ApiGateway::ApiKey') },
      KeyType: 'API_KEY',
    });
  });

  it("writes each partner grant to the grants table under partner:<apiKeyId>, with data hidden from the provider's logs", () => {
    const writers = find('Custom::PartnerGrant');
    expect(Object.keys(writers)).toHaveLength(1);
    const writer = Object.values(writers)[0]!.Properties as { Create: unknown; Delete: unknown };
    const create = JSON.stringify(writer.Create);
    const keyId = logicalId('AWS::ApiGateway::ApiKey');
    expect(create).toContain('\\"action\\":\\"putItem\\"');
    expect(create).toContain(`\\"principal\\":{\\"S\\":\\"partner:",{"Ref":"${keyId}"}`);
    expect(create).toContain('\\"grantId\\":{\\"S\\":\\"front-door-live\\"}');
    expect(create).toContain('\\"maxExpiresInSeconds\\":{\\"N\\":\\"300\\"}');
    expect(create).toContain('\\"logApiResponseData\\":false');
    expect(JSON.stringify(writer.Delete)).toContain('\\"action\\":\\"deleteItem\\"');
  });
});

describe('WAF', () => {
  it('puts a rate-based rule per IP and a body size limit on the stage when enabled', () => {
    const acl = Object.values(find('AWS::WAFv2::WebACL'))[0]!.Properties as {
      Scope: string;
      DefaultAction: unknown;
      Rules: { Name: string; Action: unknown; Statement: Record<string, unknown> }[];
    };
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(acl.Rules[0]).toMatchObject({
      Name: 'RateLimitPerIp',
      Action: { Count: {} },
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 1000, EvaluationWindowSec: 300 } },
    });
    const bodyRule = acl.Rules.find((rule) => rule.Name === 'BodySizeLimit')!;
    expect(bodyRule.Statement).toMatchObject({
      SizeConstraintStatement: { ComparisonOperator: 'GT', Size: 8192 },
    });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [logicalId('AWS::WAFv2::WebACL'), 'Arn'] },
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });
});

describe('operations', () => {
  it('alarms on the 5xx rate, throttles, function errors and p99 latency, notifying the alarm topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const topic = { Ref: logicalId('AWS::SNS::Topic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
      ]),
      Threshold: 1,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: vendFunctionId } }],
      Threshold: 0,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: vendFunctionId } }],
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: 2000,
      AlarmActions: [topic],
    });
  });

  it('sends alarms to the configured email over an encrypted, TLS-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: ALARM_EMAIL });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('has a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('outputs the API URL, the table names, what operators need execute-api:Invoke on, and partner key ids, never a key value', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AdminInvokeArn',
      'ApiUrl',
      'GrantsTableName',
      'PartnerKeyIdexamplepartner',
      'SessionsTableName',
    ]);
    expect(outputs.SessionsTableName!.Value).toEqual({ Ref: sessionsTableId });
    expect(JSON.stringify(outputs.AdminInvokeArn!.Value)).toMatch(/execute-api:.*\/\*\/admin\/v1\/\*"/);
    expect(outputs.GrantsTableName!.Value).toEqual({ Ref: grantsTableId });
    expect(outputs.PartnerKeyIdexamplepartner!.Value).toEqual({ Ref: logicalId('AWS::ApiGateway::ApiKey') });
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain('.execute-api.');
    expect(JSON.stringify(outputs)).not.toMatch(/Fn::GetAtt[^}]*APIKey|"Value"\s*:\s*"[A-Za-z0-9]{20,}"/);
  });
});
