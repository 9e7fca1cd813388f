import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  edgeAnswerHeaders,
  edgeCorsHeaders,
  edgeErrorBody,
  MAX_REQUEST_BODY_BYTES,
  statusOf,
  WAF_ANSWERS,
  WAF_REQUEST_ID,
  type EdgeAnswer,
} from '../../lambda/contract';

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
  /**
   * Exact origins of web front ends: a block answers a request from one of them with CORS headers, so
   * that the page can read it.
   * @default - none
   */
  readonly allowedOrigins?: readonly string[];
}

/** The label the rate rule puts on the requests of an address over its limit. */
export const RATE_LIMITED_LABEL = 'kvs-url-vending:rate-limited';

type Rule = wafv2.CfnWebACL.RuleProperty;
type Statement = wafv2.CfnWebACL.StatementProperty;

/**
 * A regional web ACL on the API stage: a rate-based rule per client IP and a body size limit. Each block
 * answers in the service's error shape with the contract's status (`WAF_ANSWERS`: 429 with `Retry-After`,
 * 413), through a WAF custom response, which takes precedence over API Gateway's gateway responses.
 *
 * A WAF response header is a fixed value, so it cannot reflect the request's origin: each answer is
 * given by one rule per configured origin (matching its `Origin` header exactly, with that origin in
 * `Access-Control-Allow-Origin`), then by one rule for every other request, without it. The rate rule
 * itself only counts and labels the requests over the limit; the rules after it block them.
 */
export class RateLimitingWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitingWebAclProps) {
    super(scope, id);
    const origins = props.allowedOrigins ?? [];
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const bodyKeys = { RATE_LIMITED: 'RateLimited', BODY_TOO_LARGE: 'BodyTooLarge' } as const;
    const block = (
      answer: keyof typeof WAF_ANSWERS,
      origin?: string,
    ): wafv2.CfnWebACL.RuleActionProperty => ({
      block: {
        customResponse: {
          responseCode: statusOf(WAF_ANSWERS[answer]),
          customResponseBodyKey: bodyKeys[answer],
          responseHeaders: Object.entries(wafHeaders(WAF_ANSWERS[answer], origins.length > 0, origin)).map(
            ([name, value]) => ({ name, value }),
          ),
        },
      },
    });
    const fromOrigin = (origin: string): Statement => ({
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'origin' } },
        positionalConstraint: 'EXACTLY',
        searchString: origin,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    /** One rule per origin (`statement` and that origin), then one for every request `statement` matches. */
    const blockRules = (name: string, answer: keyof typeof WAF_ANSWERS, statement: Statement): Rule[] => [
      ...origins.map((origin, index) => ({
        name: `${name}Origin${index + 1}`,
        priority: 0,
        action: block(answer, origin),
        statement: { andStatement: { statements: [statement, fromOrigin(origin)] } },
        visibilityConfig: visibility(`${name}Origin${index + 1}`),
      })),
      { name, priority: 0, action: block(answer), statement, visibilityConfig: visibility(name) },
    ];

    const rules: Rule[] = [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { count: {} },
        ruleLabels: [{ name: RATE_LIMITED_LABEL }],
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: props.rateLimitPerFiveMinutes ?? 1000,
            evaluationWindowSec: 300,
          },
        },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      ...blockRules('RateLimited', 'RATE_LIMITED', {
        labelMatchStatement: { scope: 'LABEL', key: RATE_LIMITED_LABEL },
      }),
      ...blockRules('BodySizeLimit', 'BODY_TOO_LARGE', {
        sizeConstraintStatement: {
          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
          comparisonOperator: 'GT',
          size: props.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      }),
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('KvsUrlVendingWebAcl'),
      customResponseBodies: Object.fromEntries(
        (Object.keys(bodyKeys) as (keyof typeof bodyKeys)[]).map((answer) => [
          bodyKeys[answer],
          {
            contentType: 'APPLICATION_JSON',
            content: JSON.stringify(edgeErrorBody(WAF_ANSWERS[answer], WAF_REQUEST_ID)),
          },
        ]),
      ),
      rules: rules.map((rule, priority) => ({ ...rule, priority })),
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/**
 * The headers of a WAF answer: the contract's fixed ones, and with origins configured the CORS headers,
 * `Access-Control-Allow-Origin` only in the rule of that origin.
 */
export function wafHeaders(
  answer: EdgeAnswer,
  withCors: boolean,
  origin: string | undefined,
): Record<string, string> {
  return {
    ...edgeAnswerHeaders(answer),
    ...(withCors ? edgeCorsHeaders() : {}),
    ...(origin !== undefined ? { 'Access-Control-Allow-Origin': origin } : {}),
  };
}
