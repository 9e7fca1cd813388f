import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  SESSIONS_BY_GRANT_PRINCIPAL_INDEX,
  SESSIONS_BY_STREAM_INDEX,
  SESSIONS_TABLE_KEY,
  SESSIONS_TABLE_TTL_ATTRIBUTE,
} from '../../lambda/adapters/sessions/sessions-table';

/**
 * The sessions table: the session log (one item per vend, never the URL), partition key `principal`, sort
 * key `sessionKey`, with the indexes `byStream` and `byGrantPrincipal` (layout:
 * `lambda/adapters/sessions/sessions-table.ts`). Items expire through `ttl` at their session's end; the
 * table goes with the stack (a session lives 12 hours at most), with point-in-time recovery meanwhile.
 */
export class SessionsTable extends Construct {
  public readonly table: dynamodb.Table;
  /** The ARNs of its indexes, for least-privilege reads. */
  public readonly indexArns: readonly string[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: SESSIONS_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SESSIONS_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: SESSIONS_TABLE_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const index of [SESSIONS_BY_STREAM_INDEX, SESSIONS_BY_GRANT_PRINCIPAL_INDEX]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: SESSIONS_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    this.indexArns = [SESSIONS_BY_STREAM_INDEX, SESSIONS_BY_GRANT_PRINCIPAL_INDEX].map(
      (index) => `${this.table.tableArn}/index/${index.name}`,
    );
  }
}
