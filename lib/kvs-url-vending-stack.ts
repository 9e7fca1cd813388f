import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { KvsUrlVendingConfig } from './config';
import { KvsUrlVending } from './constructs/kvs-url-vending';
import { partnerIdPart } from './constructs/partner-access';

export interface KvsUrlVendingStackProps extends StackProps {
  /** Validated configuration (`parseConfig` / `configFromContext` of `lib/config.ts`). */
  readonly config: KvsUrlVendingConfig;
  /** The time of the synthesis (partners' previous keys). @default - now */
  readonly now?: Date;
}

/** The deployable stack: the KvsUrlVending construct configured from context, and its outputs. */
export class KvsUrlVendingStack extends Stack {
  public readonly vending: KvsUrlVending;

  constructor(scope: Construct, id: string, props: KvsUrlVendingStackProps) {
    super(scope, id, props);
    const config = props.config;
    for (const warning of config.acknowledgedWarnings) {
      Annotations.of(this).acknowledgeWarning(warning, 'acknowledged in the kvsUrlVending configuration');
    }

    this.vending = new KvsUrlVending(this, 'KvsUrlVending', {
      issuer: config.issuer,
      audience: config.audience,
      ...(config.jwksUrl !== undefined ? { jwksUrl: config.jwksUrl } : {}),
      ...(config.jwtSecretArn !== undefined
        ? {
            jwtSecret: secretsmanager.Secret.fromSecretAttributes(this, 'JwtSecret', {
              secretCompleteArn: config.jwtSecretArn,
              ...(config.jwtSecretKmsKeyArn !== undefined
                ? { encryptionKey: kms.Key.fromKeyArn(this, 'JwtSecretKey', config.jwtSecretKmsKeyArn) }
                : {}),
            }),
          }
        : {}),
      ...(config.grantsTableKmsKeyArn !== undefined
        ? {
            grantsTableEncryptionKey: kms.Key.fromKeyArn(this, 'GrantsTableKey', config.grantsTableKmsKeyArn),
          }
        : {}),
      ...(config.jwtAlgorithms ? { jwtAlgorithms: config.jwtAlgorithms } : {}),
      ...(config.groupsClaim ? { groupsClaim: config.groupsClaim } : {}),
      ...(config.maxTokenLifetimeSeconds !== undefined
        ? { maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds }
        : {}),
      ...(config.liveMaxFragments !== undefined ? { liveMaxFragments: config.liveMaxFragments } : {}),
      streamArnPatterns: config.streamArnPatterns,
      allowedOrigins: config.allowedOrigins,
      partners: config.partners,
      logRetention: config.logRetentionDays,
      ...(config.reservedConcurrency !== undefined
        ? { reservedConcurrency: config.reservedConcurrency }
        : {}),
      memorySize: config.memorySize,
      timeout: Duration.seconds(config.timeoutSeconds),
      stageThrottle: config.stageThrottle,
      ...(config.waf.enabled ? { wafRateLimitPerFiveMinutes: config.waf.rateLimitPerFiveMinutes } : {}),
      deletionProtection: config.deletionProtection,
      ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
      latencyP99ThresholdMs: config.latencyP99ThresholdMs,
      admission: config.admission,
      sharedEndpointCache: config.sharedEndpointCache,
      media: config.media,
      apiGatewayCloudWatchRole: config.apiGatewayCloudWatchRole,
      ...(props.now ? { now: props.now } : {}),
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the API (append v1/streams or partner/v1/streams)',
      value: this.vending.api.url,
    });
    new CfnOutput(this, 'GrantsTableName', {
      description: 'DynamoDB table of grants (principal, grantId)',
      value: this.vending.grantsTable.tableName,
    });
    new CfnOutput(this, 'SessionsTableName', {
      description: 'DynamoDB table of the session log (one item per vend, never the URL)',
      value: this.vending.sessionsTable.tableName,
    });
    new CfnOutput(this, 'AdminInvokeArn', {
      description:
        'What an operator needs execute-api:Invoke on to use the admin API (README, "Operating it")',
      value: this.vending.api.arnForExecuteApi(
        '*',
        '/admin/v1/*',
        this.vending.api.deploymentStage.stageName,
      ),
    });
    for (const [name, key] of Object.entries(this.vending.partnerApiKeys)) {
      new CfnOutput(this, `PartnerKeyId${partnerIdPart(name)}`, {
        description: `API key id of partner ${name} (aws apigateway get-api-key --include-value reads the value)`,
        value: key.keyId,
      });
    }
    for (const [name, key] of Object.entries(this.vending.partnerAccess.previousApiKeys)) {
      new CfnOutput(this, `PartnerPreviousKeyId${partnerIdPart(name)}`, {
        description: `API key id of partner ${name}'s previous key, working until its date`,
        value: key.keyId,
      });
    }
  }
}
