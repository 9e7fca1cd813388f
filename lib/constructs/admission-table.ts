import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The admission table: the state of admission (caller limits, stream shares, session caps) shared by
 * all instances of the function: partition key `pk`, items expire through the `ttl` attribute.
 * Its content is short-lived and rebuilt by itself, so it is destroyed with the stack and not backed up.
 */
export class AdmissionTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'Token buckets and session counts of admission live for seconds to hours and refill by themselves; a point-in-time backup of them has nothing to restore.',
    });
  }
}
