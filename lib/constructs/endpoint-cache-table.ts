import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * The fleet's shared data endpoint cache (lambda/adapters/kvs/shared-endpoint-cache.ts): one item per
 * stream and API (`pk` = `endpoint#<stream>#<API name>`) that every instance of the function reads when its
 * own cache misses, so one instance fetches a stream's data endpoint for all. Items expire through `ttl`.
 * A table of its own rather than part of the admission table: the cache works with admission turned off,
 * and the function gets exactly the two item operations it needs on each. Its content is rebuilt from KVS
 * by itself, so it is destroyed with the stack and not backed up.
 */
export class EndpointCacheTable extends Construct {
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
        'Cached KVS data endpoints live for at most 30 minutes and are fetched again from KVS when missing; a point-in-time backup of them has nothing to restore.',
    });
  }
}
