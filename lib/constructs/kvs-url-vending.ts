import * as path from 'node:path';
import { Annotations, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { JwtAlgorithm } from '../../lambda/adapters/jwt-verifier';
import {
  DEFAULT_KVS_RETRY_BUDGET_MS,
  LIVE_MAX_FRAGMENTS_RANGE,
  MAX_TOKEN_LIFETIME_SECONDS,
  MIN_TOKEN_LIFETIME_SECONDS,
} from '../../lambda/vend/config';
import { KVS_REGIONS, regionOfStreamArn, WARNING_IDS } from '../kvs-regions';
import {
  DEFAULT_MEDIA_BUDGET_MS,
  MEDIA_FUNCTION_MEMORY_MB,
  MEDIA_FUNCTION_TIMEOUT_SECONDS,
} from '../../lambda/vend/media-config';
import { GrantsTable } from './grants-table';
import { VendMonitoring } from './monitoring';
import { PartnerAccess, partnerProblems, type Partner } from './partner-access';
import { AdmissionTable } from './admission-table';
import { AdminFunction } from './admin-function';
import { SessionsTable } from './sessions-table';
import { EndpointCacheTable } from './endpoint-cache-table';
import { VendApi } from './vend-api';
import { MediaStorage } from './media-storage';
import {
  grantMediaStorage,
  grantStreamMedia,
  GROUPS_CLAIM_NAME,
  VendFunction,
  type AdmissionSettings,
} from './vend-function';
import { RateLimitingWebAcl } from './web-acl';

/** The function gives KVS this long (its KVS_RETRY_BUDGET_MS default) before answering 503/504. */
const KVS_RETRY_BUDGET = Duration.millis(DEFAULT_KVS_RETRY_BUDGET_MS);
/** API Gateway answers 504 after 29 s whatever the function does. */
const API_GATEWAY_TIMEOUT = Duration.seconds(29);

export interface KvsUrlVendingProps {
  /** JWT `iss` of the identity provider. */
  readonly issuer: string;
  /** JWT `aud` the tokens must carry. */
  readonly audience: string;
  /**
   * The issuer's JWKS URL (RS256/ES256 tokens). Exactly one of `jwksUrl` and `jwtSecret`.
   * @default - none
   */
  readonly jwksUrl?: string;
  /**
   * Secrets Manager secret holding the HS256 signing key. Exactly one of `jwksUrl` and `jwtSecret`.
   * When it is encrypted with a customer managed key, pass a secret that knows it
   * (`Secret.fromSecretAttributes(..., { secretCompleteArn, encryptionKey })`): the function then gets
   * Decrypt on that key through Secrets Manager.
   * @default - none
   */
  readonly jwtSecret?: secretsmanager.ISecret;
  /**
   * Accepted JWT algorithms.
   * @default - RS256 and ES256 with `jwksUrl`, HS256 with `jwtSecret`
   */
  readonly jwtAlgorithms?: readonly JwtAlgorithm[];
  /**
   * JWT claim holding the caller's groups: `cognito:groups` for Cognito. A list is a fallback chain (first
   * present wins): whoever can put a later claim in a token chooses the groups when an earlier one is absent.
   * @default - the function's own default, DEFAULT_GROUPS_CLAIMS (`groups`)
   */
  readonly groupsClaim?: string | readonly string[];
  /**
   * Longest lifetime of a user token (`exp - iat`, or what is left when there is no `iat`), 60..2592000.
   * @default 86400 (the function's own default)
   */
  readonly maxTokenLifetimeSeconds?: number;
  /**
   * Most fragments a LIVE session lists, HLS and DASH alike, 3..100: how far back LIVE reaches.
   * @default 10 (the function's own default)
   */
  readonly liveMaxFragments?: number;
  /**
   * Streams the function may vend URLs for, as IAM resources:
   * `arn:aws:kinesisvideo:<region>:<account>:stream/<name or prefix*>/*`. Grants narrow this further.
   */
  readonly streamArnPatterns: readonly string[];
  /**
   * Exact browser origins allowed by CORS on the user routes.
   * @default - none: no CORS
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Partners: each gets an API key, a usage plan and its grants in the grants table.
   * @default - none
   */
  readonly partners?: readonly Partner[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserved concurrency of the vend function.
   * @default - none: unreserved account concurrency
   */
  readonly reservedConcurrency?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Longer than the KVS retry budget (4 s), at most 29 s (the API Gateway limit).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Stage-wide throttle (requests per second and burst), above every partner's plan.
   * @default STAGE_THROTTLE of the contract: { rateLimit: 100, burstLimit: 200 }
   */
  readonly stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * An AWS WAF web ACL on the stage with this per-IP rate limit (requests per five minutes).
   * @default - no web ACL
   */
  readonly wafRateLimitPerFiveMinutes?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /**
   * Customer managed key of the grants table. The function (reads) and the partner grant writer (writes)
   * get what DynamoDB needs of the key on their behalf, only through DynamoDB; the key's policy must let
   * IAM policies of the account grant its use (the default key policy does).
   * @default - AWS managed key
   */
  readonly grantsTableEncryptionKey?: kms.IKey;
  /**
   * Email address notified of alarms.
   * @default - alarms without notification
   */
  readonly alarmEmail?: string;
  /** @default 2000 */
  readonly latencyP99ThresholdMs?: number;
  /**
   * Create the account-wide CloudWatch role of API Gateway (execution logs). Turn off when the
   * account already has one.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * The time of the synthesis, against which partners' previous keys are compared (a key past its date is
   * left out of the template).
   * @default - now
   */
  readonly now?: Date;
  /**
   * Admission in the function (caller limit, stream share, session cap), its state kept in a table of its
   * own; `enabled: false` leaves both out. Settings left out keep the function's defaults: 5/s with a
   * burst of 10 per caller, 20/s with a burst of 5 per stream, no session cap.
   * @default { enabled: true }
   */
  readonly admission?: { readonly enabled?: boolean } & AdmissionSettings;
  /**
   * The fleet-wide data endpoint cache: a small table through which one instance of the function fetches a
   * stream's data endpoint for all, so a burst of cold instances does not exhaust the GetDataEndpoint quota
   * (5 per second per stream). Off: each instance fetches its own.
   * @default true
   */
  readonly sharedEndpointCache?: boolean;
  /**
   * Clips and images (`POST .../clip-url`, `POST .../images`): a media function of their own, its bucket
   * and the secret of its keys. `enabled: false` leaves all of them, and the routes, out.
   * @default { enabled: true }
   */
  readonly media?: MediaProps;
}

/** The media function's settings; what is left out keeps the function's own default. */
export interface MediaProps {
  /** @default true */
  readonly enabled?: boolean;
  /** The longest clip, seconds (CLIP_MAX_SECONDS). @default 300 */
  readonly maxClipSeconds?: number;
  /** The largest clip, MB (CLIP_MAX_MEGABYTES). @default 100 */
  readonly maxClipMegabytes?: number;
  /** The longest a clip URL lives, seconds (CLIP_URL_MAX_SECONDS). @default 900 */
  readonly clipUrlMaxSeconds?: number;
  /** @default 1024 */
  readonly memorySize?: number;
}

const MEDIA_VARIABLES: Readonly<Record<'maxClipSeconds' | 'maxClipMegabytes' | 'clipUrlMaxSeconds', string>> =
  {
    maxClipSeconds: 'CLIP_MAX_SECONDS',
    maxClipMegabytes: 'CLIP_MAX_MEGABYTES',
    clipUrlMaxSeconds: 'CLIP_URL_MAX_SECONDS',
  };

/**
 * Everything that vends KVS playback URLs in one account and region: the REST API (user and partner
 * routes), the vend function with least-privilege permissions, the grants table, partner keys and
 * usage plans, an optional web ACL, alarms and a dashboard. Secure by default: no caching, no data
 * tracing, no CORS unless origins are given, deletion protection on.
 */
export class KvsUrlVending extends Construct {
  public readonly vendFunction: VendFunction;
  public readonly function: lambda.IFunction;
  /** Clips and images, unless `media.enabled` is false. */
  public readonly mediaFunction?: VendFunction;
  public readonly mediaStorage?: MediaStorage;
  public readonly grantsTable: dynamodb.Table;
  public readonly admissionTable?: dynamodb.Table;
  /** The session log: one item per vend, read by the session cap and the admin API. */
  public readonly sessionsTable: dynamodb.Table;
  /** The admin API's function: the only one that writes grants and revocations. */
  public readonly adminFunction: AdminFunction;
  public readonly endpointCacheTable?: dynamodb.Table;
  public readonly api: apigateway.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  public readonly partnerAccess: PartnerAccess;
  /** API keys by partner name: their ids, never their values, belong in outputs. */
  public readonly partnerApiKeys: Readonly<Record<string, apigateway.IApiKey>>;
  public readonly webAcl?: wafv2.CfnWebACL;
  public readonly monitoring: VendMonitoring;

  constructor(scope: Construct, id: string, props: KvsUrlVendingProps) {
    super(scope, id);
    validateProps(props);
    checkRegion(this, props.streamArnPatterns);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.grantsTable = new GrantsTable(this, 'Grants', {
      deletionProtection: props.deletionProtection ?? true,
      ...(props.grantsTableEncryptionKey ? { encryptionKey: props.grantsTableEncryptionKey } : {}),
    }).table;

    this.vendFunction = new VendFunction(this, 'Vend', {
      issuer: props.issuer,
      audience: props.audience,
      ...(props.jwksUrl !== undefined ? { jwksUrl: props.jwksUrl } : {}),
      ...(props.jwtAlgorithms ? { jwtAlgorithms: props.jwtAlgorithms } : {}),
      ...(props.groupsClaim ? { groupsClaim: props.groupsClaim } : {}),
      ...(props.maxTokenLifetimeSeconds !== undefined
        ? { maxTokenLifetimeSeconds: props.maxTokenLifetimeSeconds }
        : {}),
      ...(props.liveMaxFragments !== undefined ? { liveMaxFragments: props.liveMaxFragments } : {}),
      ...(props.allowedOrigins ? { allowedOrigins: props.allowedOrigins } : {}),
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
      logRetention,
    });
    this.function = this.vendFunction.function;
    this.vendFunction.grantGrantsTable(this.grantsTable);
    this.vendFunction.grantStreamPlayback(props.streamArnPatterns);
    if (props.jwtSecret) this.vendFunction.grantJwtSecret(props.jwtSecret);
    const sessions = new SessionsTable(this, 'Sessions');
    this.sessionsTable = sessions.table;
    this.vendFunction.grantSessionsTable(this.sessionsTable);
    const { enabled: admission = true, ...admissionSettings } = props.admission ?? {};
    if (admission) {
      this.admissionTable = new AdmissionTable(this, 'Admission').table;
      this.vendFunction.grantAdmissionTable(this.admissionTable, admissionSettings);
    }
    if (props.sharedEndpointCache ?? true) {
      this.endpointCacheTable = new EndpointCacheTable(this, 'EndpointCache').table;
      this.vendFunction.grantEndpointCacheTable(this.endpointCacheTable);
    }

    const { enabled: media = true, memorySize: mediaMemory, ...mediaSettings } = props.media ?? {};
    if (media) {
      this.mediaStorage = new MediaStorage(this, 'MediaStorage', {
        retain: props.deletionProtection ?? true,
      });
      const environment: Record<string, string> = { MEDIA_BUDGET_MS: String(DEFAULT_MEDIA_BUDGET_MS) };
      for (const [key, variable] of Object.entries(MEDIA_VARIABLES)) {
        const value = mediaSettings[key as keyof typeof MEDIA_VARIABLES];
        if (value !== undefined) environment[variable] = String(value);
      }
      this.mediaFunction = new VendFunction(this, 'Media', {
        issuer: props.issuer,
        audience: props.audience,
        ...(props.jwksUrl !== undefined ? { jwksUrl: props.jwksUrl } : {}),
        ...(props.jwtAlgorithms ? { jwtAlgorithms: props.jwtAlgorithms } : {}),
        ...(props.groupsClaim ? { groupsClaim: props.groupsClaim } : {}),
        ...(props.maxTokenLifetimeSeconds !== undefined
          ? { maxTokenLifetimeSeconds: props.maxTokenLifetimeSeconds }
          : {}),
        ...(props.allowedOrigins ? { allowedOrigins: props.allowedOrigins } : {}),
        memorySize: mediaMemory ?? MEDIA_FUNCTION_MEMORY_MB,
        timeout: Duration.seconds(MEDIA_FUNCTION_TIMEOUT_SECONDS),
        logRetention,
        entry: path.join(__dirname, '..', '..', 'lambda', 'vend', 'media-handler.ts'),
        description: 'makes clips (MP4 download URLs) and images of KVS streams for authorized callers',
        environment,
      });
      this.mediaFunction.grantGrantsTable(this.grantsTable);
      grantStreamMedia(this.mediaFunction, props.streamArnPatterns);
      grantMediaStorage(this.mediaFunction, this.mediaStorage);
      if (props.jwtSecret) this.mediaFunction.grantJwtSecret(props.jwtSecret);
      if (this.admissionTable) this.mediaFunction.grantAdmissionTable(this.admissionTable);
    }

    this.adminFunction = new AdminFunction(this, 'Admin', { logRetention });
    this.adminFunction.grantGrantsTable(this.grantsTable);
    this.adminFunction.grantSessionsTable(this.sessionsTable, sessions.indexArns);

    const vendApi = new VendApi(this, 'Api', {
      handlers: {
        vend: this.function,
        admin: this.adminFunction.function,
        ...(this.mediaFunction ? { media: this.mediaFunction.function } : {}),
      },
      ...(props.allowedOrigins ? { allowedOrigins: props.allowedOrigins } : {}),
      ...(props.stageThrottle
        ? {
            throttlingRateLimit: props.stageThrottle.rateLimit,
            throttlingBurstLimit: props.stageThrottle.burstLimit,
          }
        : {}),
      logRetention,
      createCloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
    });
    this.api = vendApi.api;
    this.accessLogGroup = vendApi.accessLogGroup;

    this.partnerAccess = new PartnerAccess(this, 'Partners', {
      api: this.api,
      grantsTable: this.grantsTable,
      partners: props.partners ?? [],
      logRetention,
      ...(props.now ? { now: props.now } : {}),
    });
    this.partnerApiKeys = this.partnerAccess.apiKeys;

    if (props.wafRateLimitPerFiveMinutes !== undefined) {
      this.webAcl = new RateLimitingWebAcl(this, 'Waf', {
        stage: this.api.deploymentStage,
        rateLimitPerFiveMinutes: props.wafRateLimitPerFiveMinutes,
        ...(props.allowedOrigins ? { allowedOrigins: props.allowedOrigins } : {}),
      }).webAcl;
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'AWS WAF is opt-in (wafRateLimitPerFiveMinutes; kvsUrlVending.waf.enabled in cdk.json) because it has a monthly cost; without it the stage throttle, the partner usage plans and the caller limit of admission in the function still bound request rates.',
      });
    }

    this.monitoring = new VendMonitoring(this, 'Monitoring', {
      api: this.api,
      function: this.function,
      ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.latencyP99ThresholdMs !== undefined
        ? { latencyP99ThresholdMs: props.latencyP99ThresholdMs }
        : {}),
    });
  }
}

/**
 * The function calls KVS in its own Region (the stack's), so a stream ARN pattern of another Region
 * grants nothing it can use: refused. A Region where KVS is not offered (as its documentation lists them,
 * `lib/kvs-regions.ts`) gets a warning: every vend would fail there. Skipped while the stack's Region is
 * not known at synth (an environment-agnostic stack).
 */
function checkRegion(scope: Construct, streamArnPatterns: readonly string[]): void {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) return;
  const elsewhere = streamArnPatterns.filter((pattern) => {
    const patternRegion = regionOfStreamArn(pattern);
    return patternRegion !== undefined && patternRegion !== region;
  });
  if (elsewhere.length > 0) {
    throw new Error(
      `KvsUrlVending: streamArnPatterns ${elsewhere.join(', ')} name streams outside the stack's region ` +
        `${region}; the function calls Kinesis Video Streams in its own region, so deploy the stack in the ` +
        "streams' region (cdk deploy with that region's profile or AWS_REGION) or name streams of " +
        `${region}.`,
    );
  }
  if (!KVS_REGIONS.includes(region)) {
    Annotations.of(scope).addWarningV2(
      WARNING_IDS.region,
      `Kinesis Video Streams is not listed as offered in ${region} (offered in ${KVS_REGIONS.join(', ')}, ` +
        'as its documentation listed them): every vend would fail there. Deploy in a region of the list; ' +
        `if KVS has since opened in ${region}, acknowledge this warning: in cdk.json, ` +
        `"acknowledgedWarnings": ["${WARNING_IDS.region}"] in kvsUrlVending.`,
    );
  }
}

function validateProps(props: KvsUrlVendingProps): void {
  if ((props.jwksUrl === undefined) === (props.jwtSecret === undefined)) {
    throw new Error('KvsUrlVending: set exactly one of jwksUrl and jwtSecret.');
  }
  if (props.streamArnPatterns.length === 0) {
    throw new Error('KvsUrlVending: streamArnPatterns must name at least one stream ARN pattern.');
  }
  const timeout = props.timeout ?? Duration.seconds(10);
  if (timeout.toMilliseconds() <= KVS_RETRY_BUDGET.toMilliseconds()) {
    throw new Error(
      `KvsUrlVending: timeout must be longer than the KVS retry budget of ${KVS_RETRY_BUDGET.toSeconds()} seconds.`,
    );
  }
  if (timeout.toMilliseconds() > API_GATEWAY_TIMEOUT.toMilliseconds()) {
    throw new Error('KvsUrlVending: timeout must be at most 29 seconds, the API Gateway integration limit.');
  }
  const problems = partnerProblems(props.partners ?? []);
  if (problems.length > 0) {
    throw new Error(
      `KvsUrlVending: ${problems.map((problem) => `${['partners', ...problem.path].join('.')}: ${problem.message}`).join('; ')}`,
    );
  }
  const claims = props.groupsClaim === undefined ? [] : [props.groupsClaim].flat();
  if (
    props.groupsClaim !== undefined &&
    (claims.length === 0 || !claims.every((claim) => GROUPS_CLAIM_NAME.test(claim)))
  ) {
    throw new Error('KvsUrlVending: groupsClaim must be one or more claim names without spaces or commas.');
  }
  const repeated = claims.filter((claim, index) => claims.indexOf(claim) !== index);
  if (repeated.length > 0) {
    throw new Error(`KvsUrlVending: groupsClaim names ${[...new Set(repeated)].join(', ')} more than once.`);
  }
  const inRange = (value: number | undefined, min: number, max: number): boolean =>
    value === undefined || (Number.isInteger(value) && value >= min && value <= max);
  if (!inRange(props.liveMaxFragments, LIVE_MAX_FRAGMENTS_RANGE.min, LIVE_MAX_FRAGMENTS_RANGE.max)) {
    throw new Error(
      `KvsUrlVending: liveMaxFragments must be a whole number from ${LIVE_MAX_FRAGMENTS_RANGE.min} to ${LIVE_MAX_FRAGMENTS_RANGE.max}.`,
    );
  }
  if (!inRange(props.maxTokenLifetimeSeconds, MIN_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS)) {
    throw new Error(
      `KvsUrlVending: maxTokenLifetimeSeconds must be a whole number from ${MIN_TOKEN_LIFETIME_SECONDS} to ${MAX_TOKEN_LIFETIME_SECONDS}.`,
    );
  }
}
