import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CREDENTIALS,
  FUNCTION_OF_ACTION,
  edgeAnswerHeaders,
  edgeCorsHeaders,
  edgeErrorBody,
  FUNCTIONS,
  GATEWAY_RESPONSES,
  pathParametersOf,
  preflightHeaders,
  requestModelSchema,
  ROUTES,
  ROUTING_ANSWERS,
  STAGE_THROTTLE,
  statusOf,
  CORS,
  type BodySchema,
  type EdgeAnswer,
  type FunctionName,
  type GatewayResponseType,
  type Route,
} from '../../lambda/contract';

export interface VendApiProps {
  /**
   * The function behind each route (the contract's `FUNCTION_OF_ACTION`). Without a media function the
   * API has no clip or images routes.
   */
  readonly handlers: Readonly<Record<Exclude<FunctionName, 'media'>, lambda.IFunction>> & {
    readonly media?: lambda.IFunction;
  };
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

/** `value` as a static header value of a mapping: in single quotes. */
function staticValue(value: string): string {
  if (value.includes("'")) throw new Error(`VendApi: a static header value cannot hold a quote: ${value}`);
  return `'${value}'`;
}

/**
 * VTL that sets `Access-Control-Allow-Origin` to the request's origin when it is one of `origins` (the
 * allow-list policy of the contract's EDGE_ORIGIN_POLICY), for MOCK integration responses.
 */
function allowListOriginVtl(origins: readonly string[]): string {
  if (origins.length === 0) return '';
  return [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if($origin == "")',
    '  #set($origin = $input.params().header.get("origin"))',
    '#end',
    `#if(${origins.map((origin) => `$origin == "${origin}"`).join(' || ')})`,
    '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
    '',
  ].join('\n');
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
        throttlingRateLimit: props.throttlingRateLimit ?? STAGE_THROTTLE.rateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? STAGE_THROTTLE.burstLimit,
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

    const integrations = new Map<FunctionName, apigateway.LambdaIntegration>();
    for (const name of FUNCTIONS) {
      const handler = props.handlers[name];
      if (handler) {
        integrations.set(
          name,
          new apigateway.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false }),
        );
      }
    }
    const integrationOf = (route: (typeof ROUTES)[number]): apigateway.LambdaIntegration | undefined =>
      integrations.get(FUNCTION_OF_ACTION[route.action]);
    const routes = ROUTES.filter((route) => integrationOf(route) !== undefined);
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
          // The contract's schema is plain JSON Schema data, the type CDK asks for.
          schema: requestModelSchema(body) as unknown as apigateway.JsonSchema,
        });
        models.set(body, model);
      }
      return model;
    };

    for (const route of routes) {
      const parameters = pathParametersOf(route.resource);
      const credentials = CREDENTIALS[route.credentials];
      const requestParameters = {
        ...Object.fromEntries(parameters.map((name) => [`method.request.path.${name}`, true])),
        ...Object.fromEntries(
          (route.queryParameters ?? []).map((name) => [`method.request.querystring.${name}`, false]),
        ),
      };
      this.api.root.resourceForPath(route.resource).addMethod(route.method, integrationOf(route), {
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

    // Browsers call only the routes whose credentials they hold; partners call from their servers. API
    // Gateway answers their preflights itself (MOCK), the same way the local API does.
    if (origins.length > 0) {
      for (const [resource, methods] of methodsByResource(
        routes.filter((r) => CREDENTIALS[r.credentials].browsers),
      )) {
        this.addPreflight(this.api.root.resourceForPath(resource), methods, origins);
      }
    }

    // A request no method takes would get API Gateway's 403 (MISSING_AUTHENTICATION_TOKEN, or
    // IncompleteSignature when it carries a bearer token). MOCK methods answer it truly instead: `ANY` on
    // every resource (405 where the resource has methods, 404 where it has none) and a greedy `/{proxy+}`
    // for every path the API does not have.
    const byResource = methodsByResource(routes);
    const resourcePaths = new Set<string>(['/']);
    for (const resource of byResource.keys()) {
      const segments = resource.split('/').filter((segment) => segment !== '');
      segments.forEach((_, index) => resourcePaths.add(`/${segments.slice(0, index + 1).join('/')}`));
    }
    for (const path of resourcePaths) {
      const methods = byResource.get(path);
      const answer = methods ? ROUTING_ANSWERS.NO_METHOD : ROUTING_ANSWERS.NO_ROUTE;
      this.addMockAnswer(this.api.root.resourceForPath(path), answer, origins, methods);
    }
    this.addMockAnswer(this.api.root.addResource('{proxy+}'), ROUTING_ANSWERS.NO_ROUTE, origins);

    // Every answer of API Gateway itself, in the service's error shape (lambda/contract/edge-answers.ts).
    for (const [type, answer] of Object.entries(GATEWAY_RESPONSES) as [GatewayResponseType, EdgeAnswer][]) {
      this.api.addGatewayResponse(gatewayResponseId(type), {
        type: apigateway.ResponseType.of(type),
        statusCode: String(statusOf(answer)),
        responseHeaders: {
          ...Object.fromEntries(
            Object.entries(edgeAnswerHeaders(answer)).map(([name, value]) => [name, staticValue(value)]),
          ),
          // A gateway response header is a fixed value or a copy of a request header: the origin is
          // reflected (EDGE_ORIGIN_POLICY, README "Security model").
          ...(origins.length > 0
            ? {
                'Access-Control-Allow-Origin': 'method.request.header.Origin',
                ...Object.fromEntries(
                  Object.entries(edgeCorsHeaders()).map(([name, value]) => [name, staticValue(value)]),
                ),
              }
            : {}),
        },
        templates: { 'application/json': JSON.stringify(edgeErrorBody(answer, '$context.requestId')) },
      });
    }

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

  /**
   * A MOCK method answering `answer` in the service's error shape: on `ANY` of `resource`, so that the
   * resource's own methods (and its preflight) still win. `Allow` lists `methods` when the resource has any.
   */
  private addMockAnswer(
    resource: apigateway.IResource,
    answer: EdgeAnswer,
    origins: readonly string[],
    methods?: readonly string[],
  ): void {
    const status = String(statusOf(answer));
    const headers: Record<string, string> = {
      ...edgeAnswerHeaders(answer),
      ...(methods ? { Allow: methods.join(', ') } : {}),
      ...(origins.length > 0 ? edgeCorsHeaders() : {}),
    };
    resource.addMethod(
      'ANY',
      new apigateway.MockIntegration({
        // Other content types get API Gateway's 415 (UNSUPPORTED_MEDIA_TYPE), in the same error shape.
        passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': JSON.stringify({ statusCode: Number(status) }) },
        integrationResponses: [
          {
            statusCode: status,
            responseParameters: mappedHeaders(headers),
            responseTemplates: {
              'application/json':
                allowListOriginVtl(origins) + JSON.stringify(edgeErrorBody(answer, '$context.requestId')),
            },
          },
        ],
      }),
      {
        authorizationType: apigateway.AuthorizationType.NONE,
        apiKeyRequired: false,
        methodResponses: [{ statusCode: status, responseParameters: declaredHeaders(headers, origins) }],
      },
    );
  }

  /** A MOCK preflight of a browser route's resource (CORS, `preflightHeaders` of the contract). */
  private addPreflight(
    resource: apigateway.IResource,
    methods: readonly string[],
    origins: readonly string[],
  ): void {
    const status = String(CORS.preflightStatus);
    const headers = preflightHeaders(methods);
    resource.addMethod(
      'OPTIONS',
      new apigateway.MockIntegration({
        passthroughBehavior: apigateway.PassthroughBehavior.WHEN_NO_MATCH,
        requestTemplates: { 'application/json': JSON.stringify({ statusCode: Number(status) }) },
        integrationResponses: [
          {
            statusCode: status,
            responseParameters: mappedHeaders(headers),
            responseTemplates: { 'application/json': allowListOriginVtl(origins) },
          },
        ],
      }),
      {
        authorizationType: apigateway.AuthorizationType.NONE,
        apiKeyRequired: false,
        methodResponses: [{ statusCode: status, responseParameters: declaredHeaders(headers, origins) }],
      },
    );
  }
}

/** Static header values of an integration response. */
function mappedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [`method.response.header.${name}`, staticValue(value)]),
  );
}

/** The headers a method response declares: the static ones, and the origin its template may set. */
function declaredHeaders(
  headers: Readonly<Record<string, string>>,
  origins: readonly string[],
): Record<string, boolean> {
  return Object.fromEntries(
    [...Object.keys(headers), ...(origins.length > 0 ? ['Access-Control-Allow-Origin'] : [])].map((name) => [
      `method.response.header.${name}`,
      true,
    ]),
  );
}

/** The methods of each resource of `routes`, in the order of the contract. */
function methodsByResource(routes: readonly Route[]): Map<string, string[]> {
  const byResource = new Map<string, string[]>();
  for (const route of routes) {
    byResource.set(route.resource, [...(byResource.get(route.resource) ?? []), route.method]);
  }
  return byResource;
}

/** `BAD_REQUEST_BODY` -> `BadRequestBody`: the construct id of a gateway response. */
function gatewayResponseId(type: GatewayResponseType): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
