import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface VendMonitoringProps {
  readonly api: apigateway.RestApi;
  readonly function: lambda.IFunction;
  /**
   * Where alarm notifications go (an SNS topic with this email subscription).
   * @default - no notifications: the alarms are visible in CloudWatch only
   */
  readonly alarmEmail?: string;
  /** @default 1 (percent of requests answered 5xx over five minutes) */
  readonly serverErrorRatePercent?: number;
  /** @default 2000 */
  readonly latencyP99ThresholdMs?: number;
}

/** Alarms (5xx rate, throttles, function errors, p99 latency), an optional email topic, a dashboard. */
export class VendMonitoring extends Construct {
  public readonly serverErrorRateAlarm: cloudwatch.Alarm;
  public readonly throttlesAlarm: cloudwatch.Alarm;
  public readonly functionErrorsAlarm: cloudwatch.Alarm;
  public readonly latencyAlarm: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic?: sns.Topic;

  constructor(scope: Construct, id: string, props: VendMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const requests = props.api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period, statistic: 'Sum' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: serverErrors, requests },
      period,
      label: '5xx rate (%)',
    });
    const throttles = props.function.metricThrottles({ period, statistic: 'Sum' });
    const errors = props.function.metricErrors({ period, statistic: 'Sum' });
    const latency = props.api.metricLatency({ period, statistic: 'p99' });

    this.serverErrorRateAlarm = serverErrorRate.createAlarm(this, 'ServerErrorRate', {
      alarmDescription: 'More than the allowed share of API requests answered 5xx',
      threshold: props.serverErrorRatePercent ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.throttlesAlarm = throttles.createAlarm(this, 'Throttles', {
      alarmDescription: 'The vend function was throttled (reserved or account concurrency exhausted)',
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.functionErrorsAlarm = errors.createAlarm(this, 'FunctionErrors', {
      alarmDescription: 'The vend function failed (crash, timeout or cold-start configuration error)',
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.latencyAlarm = latency.createAlarm(this, 'LatencyP99', {
      alarmDescription: 'p99 API latency above the threshold for three periods',
      threshold: props.latencyP99ThresholdMs ?? 2000,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [
      this.serverErrorRateAlarm,
      this.throttlesAlarm,
      this.functionErrorsAlarm,
      this.latencyAlarm,
    ];

    if (props.alarmEmail !== undefined) {
      // CloudWatch can publish only to topics whose key policy lets it: the AWS managed SNS key does not.
      const key = new kms.Key(this, 'AlarmTopicKey', {
        enableKeyRotation: true,
        description: 'Encrypts the alarm notifications of kvs-url-vending',
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
      const subscription = this.alarmTopic.addSubscription(
        new subscriptions.EmailSubscription(props.alarmEmail),
      );
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription for alarm notifications: SNS retries email delivery itself, and the alarm state stays in CloudWatch and on the dashboard, so a dead-letter queue would hold nothing actionable.',
      });
      for (const alarm of alarms) alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-vending`,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Requests and 5xx',
            left: [requests, serverErrors],
            width: 12,
          }),
          new cloudwatch.GraphWidget({ title: '5xx rate (%)', left: [serverErrorRate], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'API latency p99 (ms)', left: [latency], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function errors', left: [errors], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function throttles', left: [throttles], width: 8 }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
  }
}
