import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface VendApiProps {
  readonly handler: lambda.IFunction;
  /**
   * Exact origins allowed to call the user routes from a browser.
   * @default - none: no CORS preflight, no CORS headers
   */
  readonly allowedOrigins?: readonly string[];
  /** @default 100 */
  readonly throttlingRateLimit?: number;
  /** @default 200 */
  readonly throttlingBurstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'prod' */
  readonly stageName?: string;
  /**
   * Create the account-wide role API Gateway writes execution logs with. Turn off when the account
   * already has one (it is a per-account, per-region setting: the last stack to set it wins).
   * @default true
   */
  readonly createCloudWatchRole?: boolean;
}

/** The request body of playback-url: shapes and enumerations only; the function checks ranges and rules. */
const PLAYBACK_REQUEST_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  title: 'PlaybackUrlRequest',
  type: apigateway.JsonSchemaType.OBJECT,
  additionalProperties: false,
  properties: {
    protocol: { type: apigateway.JsonSchemaType.STRING, enum: ['HLS', 'DASH'] },
    playbackMode: { type: apigateway.JsonSchemaType.STRING, enum: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] },
    timestampSource: { type: apigateway.JsonSchemaType.STRING, enum: ['SERVER', 'PRODUCER'] },
    start: { type: apigateway.JsonSchemaType.STRING },
    end: { type: apigateway.JsonSchemaType.STRING },
    containerFormat: { type: apigateway.JsonSchemaType.STRING, enum: ['FRAGMENTED_MP4', 'MPEG_TS'] },
    discontinuityMode: {
      type: apigateway.JsonSchemaType.STRING,
      enum: ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'],
    },
    displayFragmentTimestamp: { type: apigateway.JsonSchemaType.BOOLEAN },
    displayFragmentNumber: { type: apigateway.JsonSchemaType.BOOLEAN },
    maxFragments: { type: apigateway.JsonSchemaType.INTEGER },
    expiresInSeconds: { type: apigateway.JsonSchemaType.INTEGER },
  },
};

/** Answers of API Gateway itself in the service's error shape, so clients parse one shape only. */
function errorTemplate(code: string, message: string): Record<string, string> {
  return {
    'application/json': JSON.stringify({
      error: { code, message, requestId: '$context.requestId' },
    }),
  };
}

/**
 * The REST API of ARCHITECTURE.md: user routes under `/v1` (the function verifies the JWT) and their
 * partner twins under `/partner/v1` (`apiKeyRequired`, usage plans). Lambda proxy integration, stage
 * throttling, JSON access logs, X-Ray, no caching anywhere: every answer holds a fresh bearer URL.
 */
export class VendApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VendApiProps) {
    super(scope, id);
    const origins = props.allowedOrigins ?? [];

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Vends short-lived KVS playback URLs',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Execution logs need the account-level CloudWatch role; it is kept when the stack goes.
      ...((props.createCloudWatchRole ?? true)
        ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }
        : { cloudWatchRole: false }),
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Data tracing would log response bodies, and those hold playback URLs.
        dataTraceEnabled: false,
        // Stage-wide settings become the one `/*/*` method setting; no `methodOptions['/*/*']`, which
        // would add a second entry for the same path and method.
        cachingEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            apiKeyId: '$context.identity.apiKeyId',
            errorType: '$context.error.responseType',
            wafStatus: '$context.waf.status',
          }),
        ),
      },
    });

    // The stack names its own output; an extra unnamed one would only duplicate it.
    this.api.node.tryRemoveChild('Endpoint');

    const integration = new apigateway.LambdaIntegration(props.handler, {
      proxy: true,
      allowTestInvoke: false,
    });
    const validator = new apigateway.RequestValidator(this, 'Validator', {
      restApi: this.api,
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const model = this.api.addModel('PlaybackUrlRequest', {
      contentType: 'application/json',
      modelName: 'PlaybackUrlRequest',
      schema: PLAYBACK_REQUEST_SCHEMA,
    });

    const addRoutes = (v1: apigateway.IResource, apiKeyRequired: boolean): void => {
      const streams = v1.addResource('streams');
      streams.addMethod('GET', integration, {
        apiKeyRequired,
        authorizationType: apigateway.AuthorizationType.NONE,
        requestValidator: validator,
      });
      streams
        .addResource('{streamName}')
        .addResource('playback-url')
        .addMethod('POST', integration, {
          apiKeyRequired,
          authorizationType: apigateway.AuthorizationType.NONE,
          requestValidator: validator,
          requestParameters: { 'method.request.path.streamName': true },
          requestModels: { 'application/json': model },
        });
    };
    // Browsers only ever call the user routes; partners call from their servers.
    addRoutes(
      this.api.root.addResource(
        'v1',
        origins.length > 0 ? { defaultCorsPreflightOptions: corsOptions(origins) } : {},
      ),
      false,
    );
    addRoutes(this.api.root.addResource('partner').addResource('v1'), true);

    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: { 'Cache-Control': "'no-store'" },
      templates: errorTemplate('INVALID_REQUEST', 'The request body is not a valid playback request.'),
    });
    this.api.addGatewayResponse('BadRequestParameters', {
      type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '400',
      responseHeaders: { 'Cache-Control': "'no-store'" },
      templates: errorTemplate('INVALID_REQUEST', 'The request parameters are not valid.'),
    });

    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway uses to write execution logs; AWS documents this managed policy for it and it grants log writing only.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'User routes authenticate in the function (JWT verified against the configured issuer with an algorithm allow-list), partner routes with API keys and usage plans; an API Gateway authorizer would duplicate the JWT check.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers use any OIDC issuer (Cognito, Auth0, Okta); the function verifies the JWT, not a Cognito authorizer.',
    });
  }
}

function corsOptions(origins: readonly string[]): apigateway.CorsOptions {
  return {
    allowOrigins: [...origins],
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    allowCredentials: false,
  };
}
