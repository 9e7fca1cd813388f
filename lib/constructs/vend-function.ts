import * as path from 'node:path';
import type * as cdk from 'aws-cdk-lib';
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { WARNING_IDS } from '../kvs-regions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { JwtAlgorithm } from '../../lambda/adapters/jwt-verifier';
import { CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA, VEND_BUNDLE_ALIASES } from '../vend-bundling';
import { CONTROL_ITEM_KEY } from '../../lambda/adapters/grants/grants-table';
import { TABLE_KEY_READ_ACTIONS, tableKeyStatement, type TableReference } from './grants-table';

/** The repository root, where `lambda/`, `package-lock.json` and `node_modules` live. */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * A JWT claim name as `groupsClaim` takes it: the function reads JWT_GROUPS_CLAIM as a comma-separated
 * list, so a name holds no comma (nor space).
 */
export const GROUPS_CLAIM_NAME = /^[^\s,]{1,256}$/;

/** The newest Node.js runtime aws-cdk-lib offers (Middy 6 and the handlers need 22 or newer). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * How the stack bundles its functions (the vend function, the admin function): one minified ES module
 * with its source map, the AWS SDK inside (pinned versions, tree-shaken) but for the credential providers
 * a Lambda function never reaches (see vend-bundling.ts).
 */
export function deployedBundling(): nodejs.BundlingOptions {
  return {
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    target: 'node22',
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    externalModules: [...CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA],
    esbuildArgs: Object.fromEntries(
      Object.entries(VEND_BUNDLE_ALIASES).map(([name, file]) => [`--alias:${name}`, file]),
    ),
    // CommonJS dependencies (jsonwebtoken) call require() on Node built-ins.
    banner:
      "import { createRequire as topLevelCreateRequire } from 'node:module';const require = topLevelCreateRequire(import.meta.url);",
    logLevel: nodejs.LogLevel.ERROR,
  };
}

export interface VendFunctionProps {
  /** JWT `iss` the function accepts. */
  readonly issuer: string;
  /** JWT `aud` the function accepts. */
  readonly audience: string;
  /**
   * JWKS URL of the issuer (RS256/ES256). Exactly one of `jwksUrl` and `grantJwtSecret()`.
   * @default - none: call `grantJwtSecret()`
   */
  readonly jwksUrl?: string;
  /**
   * Accepted JWT algorithms.
   * @default - RS256,ES256 with a JWKS URL; HS256 with a secret (the function's own default)
   */
  readonly jwtAlgorithms?: readonly JwtAlgorithm[];
  /**
   * Claim that holds the caller's groups (`cognito:groups` for Cognito), or a fallback chain of claims.
   * @default - the function's own default, DEFAULT_GROUPS_CLAIMS (`groups`)
   */
  readonly groupsClaim?: string | readonly string[];
  /**
   * Longest lifetime of a user token, in seconds (JWT_MAX_TOKEN_LIFETIME_SECONDS).
   * @default 86400 (the function's own default)
   */
  readonly maxTokenLifetimeSeconds?: number;
  /**
   * Most fragments a LIVE session lists (LIVE_MAX_FRAGMENTS).
   * @default 10 (the function's own default)
   */
  readonly liveMaxFragments?: number;
  /**
   * Exact origins that get CORS headers.
   * @default - none: no CORS headers
   */
  readonly allowedOrigins?: readonly string[];
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Must exceed the KVS retry budget of the function (4 s).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: a ceiling on what vending may cost and on the load it puts on KVS quotas.
   * Lambda refuses a reservation that would leave the account fewer than 100 unreserved concurrent
   * executions in the region, so the deploy needs `UnreservedConcurrentExecutions` (`aws lambda
   * get-account-settings`) of at least this plus 100; synth warns, since it cannot read the account.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 'kvs-url-vending' */
  readonly serviceName?: string;
  /** @default 'KvsUrlVending' */
  readonly metricsNamespace?: string;
  /**
   * Path of the handler module.
   * @default - lambda/vend/handler.ts of this project
   */
  readonly entry?: string;
  /**
   * What the function does, for its description and its role's.
   * @default - vending KVS playback URLs
   */
  readonly description?: string;
  /** Settings of the function beyond the common ones (e.g. the media function's), as environment variables. */
  readonly environment?: Readonly<Record<string, string>>;
}

/** Admission's settings in the function; what is left out keeps the function's own default. */
export interface AdmissionSettings {
  /** The caller limit: vends per second per caller (`user:<sub>` / `partner:<apiKeyId>`). @default 5 */
  readonly callerRatePerSecond?: number;
  /** @default 10 */
  readonly callerBurst?: number;
  /** The stream limit, shared out between callers: session URLs per second; rate + burst ≤ 25. @default 20 */
  readonly streamRatePerSecond?: number;
  /** @default 5 */
  readonly streamBurst?: number;
  /** The session cap: sessions a user may hold at once; 0 turns it off. @default 0 */
  readonly sessionCap?: number;
}

const ADMISSION_VARIABLES: Record<keyof AdmissionSettings, string> = {
  callerRatePerSecond: 'ADMISSION_CALLER_RATE_PER_SECOND',
  callerBurst: 'ADMISSION_CALLER_BURST',
  streamRatePerSecond: 'ADMISSION_STREAM_RATE_PER_SECOND',
  streamBurst: 'ADMISSION_STREAM_BURST',
  sessionCap: 'ADMISSION_SESSION_CAP',
};

/**
 * The vend function with the project's house defaults: newest Node.js runtime, ARM64, active tracing,
 * an explicit log group, esbuild bundling with the AWS SDK inside the bundle, and a role that starts
 * with nothing but writing its own logs and traces. The `grant*` helpers set an environment variable
 * and the matching permission together, so the two can never drift apart.
 */
export class VendFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VendFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which
    // may write to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        props.description !== undefined
          ? `Role of the function that ${props.description}`
          : 'Vends KVS playback URLs: reads grants, calls KVS on the configured streams',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const environment: Record<string, string> = {
      JWT_ISSUER: props.issuer,
      JWT_AUDIENCE: props.audience,
      POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'kvs-url-vending',
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'KvsUrlVending',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      ...props.environment,
    };
    if (props.jwksUrl !== undefined) environment.JWT_JWKS_URL = props.jwksUrl;
    if (props.jwtAlgorithms !== undefined) environment.JWT_ALGORITHMS = props.jwtAlgorithms.join(',');
    if (props.groupsClaim !== undefined) {
      environment.JWT_GROUPS_CLAIM =
        typeof props.groupsClaim === 'string' ? props.groupsClaim : props.groupsClaim.join(',');
    }
    if (props.maxTokenLifetimeSeconds !== undefined) {
      environment.JWT_MAX_TOKEN_LIFETIME_SECONDS = String(props.maxTokenLifetimeSeconds);
    }
    if (props.liveMaxFragments !== undefined) environment.LIVE_MAX_FRAGMENTS = String(props.liveMaxFragments);
    if (props.allowedOrigins !== undefined && props.allowedOrigins.length > 0) {
      environment.ALLOWED_ORIGINS = props.allowedOrigins.join(',');
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? path.join(PROJECT_ROOT, 'lambda', 'vend', 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      environment,
      description:
        props.description !== undefined
          ? `kvs-url-vending: ${props.description}`
          : 'Vends short-lived KVS HLS/DASH playback URLs to authorized callers',
      bundling: deployedBundling(),
    });
    if (props.reservedConcurrency !== undefined) {
      Annotations.of(this.function).addWarningV2(
        WARNING_IDS.reservedConcurrency,
        reservationRequirement(props.reservedConcurrency),
      );
    }
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by API Gateway only: the caller gets the error, and a dead-letter queue applies to asynchronous invocations alone.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords and kinesisvideo:ListStreams support no resource-level permissions; every other statement names its resources.',
    });
  }

  /**
   * Lets the function read grants from `table` (Query on the base table only; GetItem only of the control
   * item, whose epoch it reads on every vend; decryption through DynamoDB with its customer managed key if
   * it has one) and points it there.
   */
  public grantGrantsTable(table: TableReference): void {
    this.function.addEnvironment('GRANTS_TABLE_NAME', table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [table.tableArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_ITEM_KEY.principal] },
        },
      }),
    );
    const keyUse = tableKeyStatement(this, table, TABLE_KEY_READ_ACTIONS);
    if (keyUse) this.role.addToPolicy(keyUse);
  }

  /** Lets the function keep admission's state in `table` and turns admission on, with these settings. */
  public grantAdmissionTable(table: TableReference, settings: AdmissionSettings = {}): void {
    this.function.addEnvironment('ADMISSION_TABLE_NAME', table.tableName);
    for (const [key, variable] of Object.entries(ADMISSION_VARIABLES)) {
      const value = settings[key as keyof AdmissionSettings];
      if (value !== undefined) this.function.addEnvironment(variable, String(value));
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );
  }

  /**
   * Lets the function record every vend in the session log `table` (PutItem, and DeleteItem of a record
   * whose vend failed) and count a caller's outstanding sessions for the session cap (Query on the table
   * itself, never its indexes), and points it there.
   */
  public grantSessionsTable(table: TableReference): void {
    this.function.addEnvironment('SESSIONS_TABLE_NAME', table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        resources: [table.tableArn],
      }),
    );
  }

  /**
   * Lets the function share its data endpoint cache with the other instances through `table`: it reads an
   * entry (GetItem) and takes leases, publishes and drops endpoints with conditional writes (UpdateItem);
   * nothing else, on nothing else.
   */
  public grantEndpointCacheTable(table: TableReference): void {
    this.function.addEnvironment('ENDPOINT_CACHE_TABLE_NAME', table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );
  }

  /**
   * HS256: the function reads the signing secret (only GetSecretValue on that secret and, when the secret
   * has a customer managed key, Decrypt with that key through Secrets Manager).
   */
  public grantJwtSecret(secret: secretsmanager.ISecret): void {
    this.function.addEnvironment('JWT_SECRET_ARN', secret.secretArn);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    if (secret.encryptionKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
  }

  /**
   * Lets the function vend URLs for the streams matching `streamArnPatterns`, and list streams.
   * ListStreams has no resource-level permission, so it alone is granted on `*`.
   */
  public grantStreamPlayback(streamArnPatterns: readonly string[]): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kinesisvideo:GetDataEndpoint',
          'kinesisvideo:GetHLSStreamingSessionURL',
          'kinesisvideo:GetDASHStreamingSessionURL',
        ],
        resources: [...streamArnPatterns],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kinesisvideo:ListStreams'], resources: ['*'] }),
    );
    for (const pattern of streamArnPatterns) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${pattern}]`,
        reason:
          'A KVS stream ARN always ends in /<creation time>; the configured pattern names the stream (or an explicit name prefix) and wildcards only that suffix.',
      });
    }
  }
}

/**
 * The media function's permissions on KVS: the data endpoints of archived media (GetDataEndpoint), and
 * ListFragments, GetClip and GetImages, on the configured stream ARN patterns only.
 */
export function grantStreamMedia(target: VendFunction, streamArnPatterns: readonly string[]): void {
  target.role.addToPolicy(
    new iam.PolicyStatement({
      actions: [
        'kinesisvideo:GetDataEndpoint',
        'kinesisvideo:ListFragments',
        'kinesisvideo:GetClip',
        'kinesisvideo:GetImages',
      ],
      resources: [...streamArnPatterns],
    }),
  );
  for (const pattern of streamArnPatterns) {
    Validations.of(target.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${pattern}]`,
      reason:
        'A KVS stream ARN always ends in /<creation time>; the configured pattern names the stream (or an explicit name prefix) and wildcards only that suffix.',
    });
  }
}

/**
 * The media function's use of its storage: PutObject and GetObject under the bucket's prefix only (GetObject
 * is what the presigned URLs it hands out are authorized by), and reading the secret its keys are derived
 * with. Sets MEDIA_BUCKET_NAME and MEDIA_KEY_SECRET_ARN with the permissions they need.
 */
export function grantMediaStorage(
  target: VendFunction,
  storage: {
    readonly bucket: s3.Bucket;
    readonly keyPrefix: string;
    readonly keySecret: secretsmanager.Secret;
  },
): void {
  target.function.addEnvironment('MEDIA_BUCKET_NAME', storage.bucket.bucketName);
  target.function.addEnvironment('MEDIA_KEY_SECRET_ARN', storage.keySecret.secretArn);
  target.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: [storage.bucket.arnForObjects(`${storage.keyPrefix}*`)],
    }),
  );
  target.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [storage.keySecret.secretFullArn ?? `${storage.keySecret.secretArn}-??????`],
    }),
  );
  Validations.of(target.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(target).getLogicalId(storage.bucket.node.defaultChild as cdk.CfnElement)}.Arn>/${storage.keyPrefix}*]`,
    reason:
      'Object keys are made per clip and image (an HMAC of caller and range, or random): the function may write and read objects under its prefix of its own bucket, nothing else.',
  });
}

/**
 * What a reservation asks of the account. Lambda keeps at least 100 concurrent executions of every
 * account and region unreserved and refuses a reservation that would go below, so the deploy fails in
 * accounts with a low concurrency limit (new accounts may start at 10). Synth runs offline: only
 * `aws lambda get-account-settings` in the target account and region can tell.
 */
function reservationRequirement(reservedConcurrency: number): string {
  return (
    `reservedConcurrency ${reservedConcurrency} takes ${reservedConcurrency} concurrent executions from the ` +
    "account's unreserved pool, and Lambda refuses reservations that leave fewer than 100 unreserved: the " +
    `deploy needs UnreservedConcurrentExecutions of at least ${reservedConcurrency + 100} in the target ` +
    'account and region (aws lambda get-account-settings, AccountLimit), or it fails. synth cannot check ' +
    'this offline; leave reservedConcurrency out to use the unreserved pool. Once checked, acknowledge this ' +
    `warning: in cdk.json, "acknowledgedWarnings": ["${WARNING_IDS.reservedConcurrency}"] in kvsUrlVending; ` +
    `in code, Annotations.of(stack).acknowledgeWarning('${WARNING_IDS.reservedConcurrency}', '<why>').`
  );
}
