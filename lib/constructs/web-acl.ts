import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MAX_REQUEST_BODY_BYTES } from '../../lambda/contract';

export interface RateLimitingWebAclProps {
  readonly stage: apigateway.Stage;
  /**
   * Requests one client IP may send in any five-minute window before it is blocked.
   * @default 1000
   */
  readonly rateLimitPerFiveMinutes?: number;
  /**
   * Largest request body let through (the function refuses bodies over its MAX_BODY_BYTES anyway;
   * this stops them at the edge, which API Gateway itself cannot do).
   * @default MAX_REQUEST_BODY_BYTES (8192, the contract's limit)
   */
  readonly maxBodyBytes?: number;
}

/** A regional web ACL on the API stage: a rate-based rule per client IP and a body size limit. */
export class RateLimitingWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitingWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('KvsUrlVendingWebAcl'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.rateLimitPerFiveMinutes ?? 1000,
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        {
          name: 'BodySizeLimit',
          priority: 1,
          action: { block: {} },
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: props.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('BodySizeLimit'),
        },
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
