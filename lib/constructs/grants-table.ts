import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { GRANTS_TABLE_KEY, GRANTS_TABLE_TTL_ATTRIBUTE } from '../../lambda/adapters/grants/grants-table';

/**
 * What the grant helpers need of a table: its name, ARN and key. A `dynamodb.Table` is one, and so is an
 * imported table (a `Table` is no `ITable` to a compiler checking exact optional properties: aws-cdk-lib
 * declares `tableStreamArn` differently on the two).
 */
export type TableReference = Pick<dynamodb.ITable, 'tableName' | 'tableArn' | 'encryptionKey'>;

/** What DynamoDB asks KMS for, on behalf of a caller that reads a table encrypted with a customer managed key. */
export const TABLE_KEY_READ_ACTIONS: readonly string[] = ['kms:Decrypt', 'kms:DescribeKey'];
/** ... and on behalf of a caller that writes items to it. */
export const TABLE_KEY_WRITE_ACTIONS: readonly string[] = [
  ...TABLE_KEY_READ_ACTIONS,
  'kms:Encrypt',
  'kms:GenerateDataKey',
];

/**
 * The statement that lets a reader or writer of `table` use its customer managed key, only through
 * DynamoDB in the stack's region (`kms:ViaService`); undefined when the table has no such key (AWS managed
 * and AWS owned keys need no permission of the caller).
 */
export function tableKeyStatement(
  scope: Construct,
  table: TableReference,
  actions: readonly string[],
): iam.PolicyStatement | undefined {
  if (!table.encryptionKey) return undefined;
  return new iam.PolicyStatement({
    actions: [...actions],
    resources: [table.encryptionKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(scope).region}.amazonaws.com` } },
  });
}

export interface GrantsTableProps {
  /**
   * Refuses DeleteTable while on: grants are the authorization data of the service.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A customer managed key; without one the table is encrypted with the AWS managed key.
   * @default - AWS managed key (aws/dynamodb)
   */
  readonly encryptionKey?: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The grants table: one item per principal and grant, partition key `principal` (`user:<sub>`,
 * `group:<name>`, `partner:<apiKeyId>`), sort key `grantId`; beside them each principal's revocation and
 * the control item (`lambda/adapters/grants/grants-table.ts`). On demand, with point-in-time recovery;
 * revocations that end expire through the `ttl` attribute.
 */
export class GrantsTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: GrantsTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: GRANTS_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: GRANTS_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: GRANTS_TABLE_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
