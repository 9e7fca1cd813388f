import * as logs from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { validateGrantRecord } from '../lambda/adapters/grants/grant-records';
import { partnerProblems, type PartnerGrantRecord } from './constructs/partner-access';
import { GROUPS_CLAIM_NAME } from './constructs/vend-function';
import { WARNING_IDS } from './kvs-regions';
import { JWT_ALGORITHMS, JWT_ALGORITHMS_BY_KEY, type JwtAlgorithm } from '../lambda/adapters/jwt-verifier';
import { MAX_CLIP_URL_SECONDS, MIN_CLIP_URL_SECONDS } from '../lambda/contract';
import { KVS_SESSION_URL_QUOTA_PER_STREAM } from '../lambda/core/model';
import { STAGE_THROTTLE } from '../lambda/contract';
import {
  ADMISSION_DEFAULTS,
  DEFAULT_KVS_RETRY_BUDGET_MS,
  LIVE_MAX_FRAGMENTS_RANGE,
  MAX_TOKEN_LIFETIME_SECONDS,
  MIN_TOKEN_LIFETIME_SECONDS,
  worstCaseWaitsBeforeKvsMs,
} from '../lambda/vend/config';

/**
 * Deployment configuration, read from the `kvsUrlVending` object of the CDK context (`cdk.json`, or
 * `-c kvsUrlVending='{...}'` as JSON). Validated at synth: a bad value fails `cdk synth` with a message
 * naming the key, so nothing half-configured reaches CloudFormation.
 */
const CONTEXT_KEY = 'kvsUrlVending';

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * `arn:<partition>:kinesisvideo:<region>:<account>:stream/<name or prefix*>/*`: the trailing `/*` is the
 * creation-time suffix KVS appends to every stream ARN; the name part may end in `*` for a prefix.
 */
const STREAM_ARN_PATTERN =
  /^arn:aws(?:-cn|-us-gov)?:kinesisvideo:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:stream\/(?:[a-zA-Z0-9_.-]{1,256}|[a-zA-Z0-9_.-]{1,255}\*)\/\*$/;
/** A complete secret ARN (with the random six-character suffix), so IAM can name exactly that secret. */
const SECRET_ARN =
  /^arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
const PARTNER_NAME = /^[a-zA-Z0-9-]{1,64}$/;
/** A KMS key ARN (not an alias: IAM authorizes key use against the key's own ARN). */
const KMS_KEY_ARN =
  /^arn:aws(?:-cn|-us-gov)?:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** A JWT claim name; commas and spaces would split it in the function's JWT_GROUPS_CLAIM list. */
const claimName = z.string().regex(GROUPS_CLAIM_NAME, 'must be a claim name without spaces or commas');

/** The retention periods CloudWatch Logs accepts (anything else fails at deploy, so fail at synth). */
const RETENTION_DAYS = Object.values(logs.RetentionDays)
  .filter((value): value is number => typeof value === 'number')
  .sort((a, b) => a - b);

const kmsKeyArn = z
  .string()
  .regex(
    KMS_KEY_ARN,
    'must be the ARN of a KMS key: arn:aws:kms:<region>:<account>:key/<key id>, not an alias',
  );

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' });

const exactOrigin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { error: 'must be an exact origin (scheme://host[:port]), no path, no trailing slash, no wildcard' },
);

/**
 * A partner's grant: the grant record of the table, without `principal` (the partner's API key id is),
 * validated as a grant record. Its `grantId` is checked with the partner's other grants
 * (`partnerProblems`), once: a missing one reaches that check as an empty one.
 */
const partnerGrantSchema = z.record(z.string(), z.unknown()).transform((grant, ctx): PartnerGrantRecord => {
  if ('principal' in grant) {
    ctx.addIssue({ code: 'custom', message: 'must not set principal: it is partner:<apiKeyId>' });
    return z.NEVER;
  }
  try {
    const {
      principal: _,
      grantId,
      ...record
    } = validateGrantRecord({ principal: 'partner:validation', ...grant }, 'grant');
    return { ...record, grantId: grantId ?? '' };
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const partnerSchema = z.strictObject({
  name: z.string().regex(PARTNER_NAME, 'must be 1-64 letters, digits or dashes'),
  /** Steady-state requests per second of this partner's usage plan. */
  rateLimit: z.number().positive().max(10_000),
  burstLimit: z.int().min(1).max(5_000),
  quota: z.strictObject({
    limit: z.int().min(1),
    period: z.enum(['DAY', 'WEEK', 'MONTH']),
  }),
  /** Bump to replace the partner's API key (rotation): the old key and its grants go away. */
  keyVersion: z.int().min(1).default(1),
  /** Rotation with overlap: this earlier key version keeps working until `until`. */
  previousKey: z
    .strictObject({
      keyVersion: z.int().min(1),
      until: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time with a time zone' }),
    })
    .exactOptional(),
  grants: z.array(partnerGrantSchema).min(1),
});

const configSchema = z
  .strictObject({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    jwksUrl: httpsUrl.optional(),
    jwtSecretArn: z
      .string()
      .regex(SECRET_ARN, 'must be the complete ARN of a Secrets Manager secret (ending in -<6 characters>)')
      .optional(),
    /** Customer managed key of the signing secret (the function gets Decrypt through Secrets Manager). */
    jwtSecretKmsKeyArn: kmsKeyArn.optional(),
    /** Customer managed key of the grants table (the function and the grant writer get its use). */
    grantsTableKmsKeyArn: kmsKeyArn.optional(),
    jwtAlgorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
    /** One claim (`cognito:groups` for Cognito); a list is a fallback chain, first present wins. */
    groupsClaim: z
      .union([
        claimName,
        z
          .array(claimName)
          .min(1)
          .refine((claims) => new Set(claims).size === claims.length, {
            error: 'names a claim more than once',
          }),
      ])
      .optional(),
    /** Longest JWT lifetime accepted (`exp - iat`); the function's default is 24 h. */
    maxTokenLifetimeSeconds: z
      .int()
      .min(MIN_TOKEN_LIFETIME_SECONDS)
      .max(MAX_TOKEN_LIFETIME_SECONDS)
      .optional(),
    /** Most fragments a LIVE session lists (how far back LIVE reaches); the function's default is 10. */
    liveMaxFragments: z.int().min(LIVE_MAX_FRAGMENTS_RANGE.min).max(LIVE_MAX_FRAGMENTS_RANGE.max).optional(),
    streamArnPatterns: z
      .array(
        z
          .string()
          .regex(
            STREAM_ARN_PATTERN,
            'must be arn:aws:kinesisvideo:<region>:<account>:stream/<name or prefix*>/*',
          ),
      )
      .min(1),
    allowedOrigins: z.array(exactOrigin).default([]),
    partners: z.array(partnerSchema).default([]),
    logRetentionDays: z
      .int()
      .refine((days) => RETENTION_DAYS.includes(days), {
        error: `must be a CloudWatch Logs retention period: one of ${RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    reservedConcurrency: z.int().min(1).max(10_000).optional(),
    memorySize: z.int().min(128).max(10_240).default(512),
    timeoutSeconds: z.int().min(6).max(29).default(10),
    stageThrottle: z
      .strictObject({ rateLimit: z.number().positive(), burstLimit: z.int().min(1) })
      .default({ ...STAGE_THROTTLE }),
    waf: z
      .strictObject({
        enabled: z.boolean(),
        /** Requests per client IP per five-minute window before WAF blocks the IP. */
        rateLimitPerFiveMinutes: z.int().min(10).max(2_000_000_000).default(1000),
      })
      .default({ enabled: false, rateLimitPerFiveMinutes: 1000 }),
    deletionProtection: z.boolean().default(true),
    alarmEmail: z.email().optional(),
    latencyP99ThresholdMs: z.int().min(100).max(29_000).default(2000),
    /** Admission in the function (`enabled`), and its settings: absent keys keep the function's defaults. */
    admission: z
      .strictObject({
        enabled: z.boolean().default(true),
        callerRatePerSecond: z.int().min(1).max(10_000).exactOptional(),
        callerBurst: z.int().min(1).max(10_000).exactOptional(),
        streamRatePerSecond: z.int().min(1).max(KVS_SESSION_URL_QUOTA_PER_STREAM).exactOptional(),
        streamBurst: z.int().min(1).max(KVS_SESSION_URL_QUOTA_PER_STREAM).exactOptional(),
        sessionCap: z.int().min(0).max(10_000).exactOptional(),
      })
      .default({ enabled: true }),
    /** Synth warnings checked and accepted (ids from `WARNING_IDS` of lib/kvs-regions.ts). */
    acknowledgedWarnings: z.array(z.enum(WARNING_IDS)).default([]),
    /** The fleet-wide data endpoint cache (a table of its own); off: each instance fetches its own endpoints. */
    sharedEndpointCache: z.boolean().default(true),
    /** Off when the account already has API Gateway's CloudWatch role (an account-wide setting). */
    apiGatewayCloudWatchRole: z.boolean().default(true),
    /** Clips and images (the media function, its bucket): `enabled`, and settings that keep the function's defaults when absent. */
    media: z
      .strictObject({
        enabled: z.boolean().default(true),
        maxClipSeconds: z.int().min(1).max(3600).exactOptional(),
        maxClipMegabytes: z.int().min(1).max(4096).exactOptional(),
        clipUrlMaxSeconds: z.int().min(MIN_CLIP_URL_SECONDS).max(MAX_CLIP_URL_SECONDS).exactOptional(),
        memorySize: z.int().min(128).max(10_240).exactOptional(),
      })
      .default({ enabled: true }),
  })
  .superRefine((config, ctx) => {
    const { enabled, ...settings } = config.admission;
    const stream = ADMISSION_DEFAULTS.streamLimit;
    if (
      (settings.streamRatePerSecond ?? stream.ratePerSecond) + (settings.streamBurst ?? stream.burst) >
      KVS_SESSION_URL_QUOTA_PER_STREAM
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['admission'],
        message: `streamRatePerSecond + streamBurst must not exceed the KVS quota of ${KVS_SESSION_URL_QUOTA_PER_STREAM} session URLs per second`,
      });
    }
    if (!enabled && Object.keys(settings).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['admission'], message: 'settings need enabled: true' });
    }
    const { enabled: media, ...mediaSettings } = config.media;
    if (!media && Object.keys(mediaSettings).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['media'], message: 'settings need enabled: true' });
    }
    const keySources = [config.jwksUrl, config.jwtSecretArn].filter((value) => value !== undefined);
    if (keySources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwksUrl'],
        message: 'set exactly one of jwksUrl and jwtSecretArn',
      });
    }
    if (config.jwtSecretKmsKeyArn !== undefined && config.jwtSecretArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwtSecretKmsKeyArn'], message: 'needs jwtSecretArn' });
    }
    const family: readonly JwtAlgorithm[] =
      config.jwtSecretArn !== undefined ? JWT_ALGORITHMS_BY_KEY.secret : JWT_ALGORITHMS_BY_KEY.keySet;
    if (config.jwtAlgorithms && !config.jwtAlgorithms.every((alg) => family.includes(alg))) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwtAlgorithms'],
        message: `must list only ${family.join(', ')} with ${config.jwtSecretArn !== undefined ? 'jwtSecretArn' : 'jwksUrl'}`,
      });
    }
    config.partners.forEach((partner, index) => {
      if (partner.previousKey && partner.previousKey.keyVersion >= partner.keyVersion) {
        ctx.addIssue({
          code: 'custom',
          path: ['partners', index, 'previousKey', 'keyVersion'],
          message: `must be below keyVersion (${partner.keyVersion}): the key being rotated out`,
        });
      }
    });
    for (const problem of partnerProblems(config.partners)) {
      ctx.addIssue({ code: 'custom', path: ['partners', ...problem.path], message: problem.message });
    }
    if (config.timeoutSeconds * 1000 <= DEFAULT_KVS_RETRY_BUDGET_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeoutSeconds'],
        message: `must exceed the KVS retry budget of ${DEFAULT_KVS_RETRY_BUDGET_MS / 1000} s`,
      });
    }
    // The function gives KVS what is left of the invocation after its other waits: leave some.
    const waitsMs = worstCaseWaitsBeforeKvsMs(config.admission.enabled);
    if (config.timeoutSeconds * 1000 <= waitsMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeoutSeconds'],
        message: `must leave time for KVS after the function's other waits (${waitsMs / 1000} s at worst)`,
      });
    }
  });

export type KvsUrlVendingConfig = z.output<typeof configSchema>;

/** Validates a raw configuration object (or its JSON text, as `-c key=...` passes it). */
export function parseConfig(raw: unknown): KvsUrlVendingConfig {
  let input = raw;
  if (input === undefined || input === null) {
    throw new ConfigurationError(`${CONTEXT_KEY}: missing from the CDK context (cdk.json).`);
  }
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input) as unknown;
    } catch {
      throw new ConfigurationError(`${CONTEXT_KEY}: not valid JSON.`);
    }
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = [CONTEXT_KEY, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** The configuration of a CDK app or construct tree, from its context. */
export function configFromContext(node: { tryGetContext(key: string): unknown }): KvsUrlVendingConfig {
  return parseConfig(node.tryGetContext(CONTEXT_KEY));
}
