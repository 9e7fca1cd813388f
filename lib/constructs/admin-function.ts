import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONTROL_ITEM_KEY } from '../../lambda/adapters/grants/grants-table';
import { TABLE_KEY_WRITE_ACTIONS, tableKeyStatement, type TableReference } from './grants-table';
import { deployedBundling, FUNCTION_RUNTIME } from './vend-function';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface AdminFunctionProps {
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'kvs-url-vending-admin' */
  readonly serviceName?: string;
}

/**
 * The admin function: the admin API's routes (grants, revocations, sessions), behind API Gateway's AWS_IAM
 * authorization. It alone may write grants and revocations; the vend function only reads them. Bundled as
 * the vend function is, with a role that starts with nothing but its own logs and traces: the `grant*`
 * helpers set an environment variable and the matching permission together.
 */
export class AdminFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AdminFunctionProps = {}) {
    super(scope, id);
    // Its audit lines (who changed which grant, before and after) are kept when the stack goes.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Admin API: writes grants and revocations, reads the session log',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'lambda', 'admin', 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'kvs-url-vending-admin',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      description: 'Admin API of kvs-url-vending: grants, revocations and the session log',
      bundling: deployedBundling(),
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by API Gateway only: the caller gets the error, and a dead-letter queue applies to asynchronous invocations alone.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; every other statement names its resources.',
    });
  }

  /**
   * Lets the function read and change grants and revocations in `table` (and move the control epoch: the
   * only item it updates), with the table's customer managed key if it has one, and points it there.
   */
  public grantGrantsTable(table: TableReference): void {
    this.function.addEnvironment('GRANTS_TABLE_NAME', table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_ITEM_KEY.principal] },
        },
      }),
    );
    const keyUse = tableKeyStatement(this, table, TABLE_KEY_WRITE_ACTIONS);
    if (keyUse) this.role.addToPolicy(keyUse);
  }

  /** Lets the function read the session log (Query on the table and its indexes), and points it there. */
  public grantSessionsTable(table: TableReference, indexArns: readonly string[]): void {
    this.function.addEnvironment('SESSIONS_TABLE_NAME', table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [table.tableArn, ...indexArns] }),
    );
  }
}
