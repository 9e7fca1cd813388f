import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CORS,
  CREDENTIALS,
  ERROR_STATUS,
  FUNCTIONS,
  pathParametersOf,
  ROUTES,
  type BodySchema,
  type ErrorCode,
  type FieldSchema,
  type FunctionName,
} from '../../lambda/contract';

export interface VendApiProps {
  /** The function behind each route (`function` of the contract's routes). */
  readonly handlers: Readonly<Record<FunctionName, lambda.IFunction>>;
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

const JSON_SCHEMA_TYPES: Readonly<Record<FieldSchema['type'], apigateway.JsonSchemaType>> = {
  string: apigateway.JsonSchemaType.STRING,
  boolean: apigateway.JsonSchemaType.BOOLEAN,
  integer: apigateway.JsonSchemaType.INTEGER,
  number: apigateway.JsonSchemaType.NUMBER,
  array: apigateway.JsonSchemaType.ARRAY,
  object: apigateway.JsonSchemaType.OBJECT,
};

/** An object of fields, closed: those of `required` present, no other. */
function objectSchema(
  fields: Readonly<Record<string, FieldSchema>>,
  required: readonly string[] | undefined,
): apigateway.JsonSchema {
  return {
    type: apigateway.JsonSchemaType.OBJECT,
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldModel(field)])),
    ...(required && required.length > 0 ? { required: [...required] } : {}),
  };
}

/** One field as API Gateway validates it: its shape and enumeration; ranges and patterns are the function's. */
function fieldModel(field: FieldSchema): apigateway.JsonSchema {
  switch (field.type) {
    case 'array':
      return { type: JSON_SCHEMA_TYPES.array, items: fieldModel(field.items) };
    case 'object':
      return objectSchema(field.fields, field.required);
    default:
      return { type: JSON_SCHEMA_TYPES[field.type], ...('enum' in field ? { enum: [...field.enum] } : {}) };
  }
}

/**
 * A request body of the contract as API Gateway's request model: shapes, enumerations and required fields
 * only, no other field; the function checks ranges, patterns and the rules between fields.
 */
function requestModelSchema(body: BodySchema): apigateway.JsonSchema {
  return {
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    title: body.name,
    ...objectSchema(body.fields, body.required),
  };
}

/** Answers of API Gateway itself in the service's error shape, so clients parse one shape only. */
function errorTemplate(code: ErrorCode, message: string): Record<string, string> {
  return {
    'application/json': JSON.stringify({
      error: { code, message, requestId: '$context.requestId' },
    }),
  };
}

/**
 * The REST API of the contract (`lambda/contract/routes.ts`; docs/ARCHITECTURE.md, "Where the contract
 * lives"): user routes under `/v1` (the function verifies the JWT) and their partner twins under
 * `/partner/v1` (`apiKeyRequired`, usage plans). Lambda proxy integration, stage throttling, JSON access
 * logs, X-Ray, no caching anywhere: every answer holds a fresh bearer URL.
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

    const integrations = Object.fromEntries(
      FUNCTIONS.map((name) => [
        name,
        new apigateway.LambdaIntegration(props.handlers[name], { proxy: true, allowTestInvoke: false }),
      ]),
    ) as Record<FunctionName, apigateway.LambdaIntegration>;
    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const models = new Map<BodySchema, apigateway.Model>();
    const modelOf = (body: BodySchema): apigateway.Model => {
      let model = models.get(body);
      if (!model) {
        model = this.api.addModel(body.name, {
          contentType: 'application/json',
          modelName: body.name,
          schema: requestModelSchema(body),
        });
        models.set(body, model);
      }
      return model;
    };

    // Browsers call only the routes whose credentials they hold; partners call from their servers. The
    // preflight of the first segment of those routes (`/v1`) covers every resource below it.
    if (origins.length > 0) {
      const browserRoutes = ROUTES.filter((route) => CREDENTIALS[route.credentials].browsers);
      const cors = corsOptions(origins, [...new Set(browserRoutes.map((route) => route.method))]);
      for (const segment of new Set(browserRoutes.map((route) => route.resource.split('/')[1]!))) {
        this.api.root.addResource(segment, { defaultCorsPreflightOptions: cors });
      }
    }
    for (const route of ROUTES) {
      const parameters = pathParametersOf(route.resource);
      const credentials = CREDENTIALS[route.credentials];
      const requestParameters = {
        ...Object.fromEntries(parameters.map((name) => [`method.request.path.${name}`, true])),
        ...Object.fromEntries(
          (route.queryParameters ?? []).map((name) => [`method.request.querystring.${name}`, false]),
        ),
      };
      this.api.root.resourceForPath(route.resource).addMethod(route.method, integrations[route.function], {
        apiKeyRequired: credentials.apiKeyRequired,
        // AWS_IAM: API Gateway checks the Signature Version 4 and the caller's execute-api:Invoke
        // permission before the function runs, and hands the function the caller's IAM identity.
        authorizationType:
          credentials.authorizationType === 'AWS_IAM'
            ? apigateway.AuthorizationType.IAM
            : apigateway.AuthorizationType.NONE,
        requestValidator: validator,
        ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
        ...(route.requestBody ? { requestModels: { 'application/json': modelOf(route.requestBody) } } : {}),
      });
    }

    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      statusCode: String(ERROR_STATUS.INVALID_REQUEST),
      responseHeaders: { 'Cache-Control': "'no-store'" },
      templates: errorTemplate('INVALID_REQUEST', "The request body does not match the route's request model."),
    });
    this.api.addGatewayResponse('BadRequestParameters', {
      type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: String(ERROR_STATUS.INVALID_REQUEST),
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
        'User routes authenticate in the function (JWT verified against the configured issuer with an algorithm allow-list), partner routes with API keys and usage plans, admin routes with AWS_IAM; an API Gateway authorizer would duplicate the JWT check.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers use any OIDC issuer (Cognito, Auth0, Okta); the function verifies the JWT, not a Cognito authorizer.',
    });
  }
}

function corsOptions(origins: readonly string[], methods: readonly string[]): apigateway.CorsOptions {
  return {
    allowOrigins: [...origins],
    allowMethods: [...methods, 'OPTIONS'],
    allowHeaders: [...CORS.allowHeaders],
    maxAge: Duration.seconds(CORS.maxAgeSeconds),
    allowCredentials: false,
  };
}
