import { rmSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import {
  CORS,
  edgeAnswerHeaders,
  edgeCorsHeaders,
  edgeErrorBody,
  GATEWAY_RESPONSE_DEFAULT_STATUS,
  GATEWAY_RESPONSES,
  PLAYBACK_URL_REQUEST,
  preflightHeaders,
  requestModelSchema,
  ROUTES,
  ROUTING_ANSWERS,
  statusOf,
  WAF_ANSWERS,
  WAF_REQUEST_ID,
  type EdgeAnswer,
} from '../../lambda/contract';
import { RATE_LIMITED_LABEL } from '../../lib/constructs/web-acl';
import { synthApp } from './synth-app';

/**
 * API Gateway's and WAF's own answers in the synthesized template, from the contract's one table
 * (lambda/contract/edge-answers.ts), which the local API answers from too (test/local/api-gateway.test.ts).
 * Two configured origins, so that the multi-origin handling shows.
 */
const ORIGINS = ['https://app.example.com', 'https://admin.example.com'];
const { stack, outdir } = synthApp({ overrides: { allowedOrigins: ORIGINS } });
const template = Template.fromStack(stack);
const noOrigins = synthApp({ overrides: { allowedOrigins: [] } });
const bare = Template.fromStack(noOrigins.stack);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(noOrigins.outdir, { recursive: true, force: true });
});

interface CfnJson {
  Type: string;
  Properties: Record<string, unknown>;
}
const resources = (template.toJSON() as { Resources: Record<string, CfnJson> }).Resources;
const ofType = (source: Template, type: string): CfnJson[] =>
  Object.values(source.findResources(type) as Record<string, CfnJson>);

/** The full path of an API Gateway resource, rebuilt from its parent chain. */
const pathOf = (resourceId: unknown): string => {
  if (typeof resourceId === 'object' && resourceId !== null && 'Fn::GetAtt' in resourceId) return '/';
  const resource = resources[(resourceId as { Ref: string }).Ref]!;
  const parent = pathOf(resource.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${resource.Properties.PathPart as string}`;
};
const quoted = (headers: Record<string, string>, prefix: string): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [`${prefix}${name}`, `'${value}'`]));

interface MockIntegration {
  Type: string;
  PassthroughBehavior: string;
  RequestTemplates: Record<string, string>;
  IntegrationResponses: {
    StatusCode: string;
    ResponseParameters: Record<string, string>;
    ResponseTemplates: Record<string, string>;
  }[];
}
const methods = ofType(template, 'AWS::ApiGateway::Method').map((method) => ({
  path: pathOf(method.Properties.ResourceId),
  httpMethod: method.Properties.HttpMethod as string,
  properties: method.Properties,
  integration: method.Properties.Integration as MockIntegration,
}));

describe("API Gateway's gateway responses", () => {
  const responses = ofType(template, 'AWS::ApiGateway::GatewayResponse').map(
    (response) =>
      response.Properties as {
        ResponseType: string;
        StatusCode: string;
        ResponseParameters: Record<string, string>;
        ResponseTemplates: Record<string, string>;
      },
  );

  it('customises every gateway response type of a REST API, none left to API Gateway\'s {"message"} body', () => {
    expect(responses.map((response) => response.ResponseType).sort()).toEqual(
      Object.keys(GATEWAY_RESPONSE_DEFAULT_STATUS).sort(),
    );
  });

  it.each(Object.entries(GATEWAY_RESPONSES))(
    '%s: the status of its code, the error body with the request id, fixed headers and the origin reflected',
    (type, answer) => {
      const response = responses.find((candidate) => candidate.ResponseType === type)!;

      expect(response.StatusCode).toBe(String(statusOf(answer)));
      expect(JSON.parse(response.ResponseTemplates['application/json']!)).toEqual(
        edgeErrorBody(answer, '$context.requestId'),
      );
      expect(response.ResponseParameters).toEqual({
        ...quoted(edgeAnswerHeaders(answer), 'gatewayresponse.header.'),
        ...quoted(edgeCorsHeaders(), 'gatewayresponse.header.'),
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
      });
      // $context.error.message(String) would echo what API Gateway says, and for a request with a bearer
      // token on no route that is the whole Authorization header: never in a body.
      expect(response.ResponseTemplates['application/json']).not.toMatch(/\$context\.error|\$input/);
    },
  );

  it('answers an admin route without an AWS signature, or with a bearer token (IncompleteSignature), 401 in the error shape, never 404', () => {
    // API Gateway's MissingAuthenticationToken and IncompleteSignature (an Authorization header that is not
    // an AWS signature, as every user request carries) both land on this one gateway response. The admin
    // routes (AWS_IAM) reach it; a request no method takes does not: a MOCK `ANY` answers it first (404/405).
    const response = responses.find(
      (candidate) => candidate.ResponseType === 'MISSING_AUTHENTICATION_TOKEN',
    )!;

    expect(response.StatusCode).toBe('401');
    expect(JSON.parse(response.ResponseTemplates['application/json']!)).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: 'This route takes requests signed with AWS Signature Version 4 only.',
        requestId: '$context.requestId',
      },
    });
    expect(response.ResponseParameters['gatewayresponse.header.Cache-Control']).toBe("'no-store'");
    expect(response.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe("'AWS4-HMAC-SHA256'");
    expect(methods.length).toBeGreaterThan(0);
    const iamMethods = methods.filter((method) => method.properties.AuthorizationType !== 'NONE');
    expect(iamMethods.map((method) => `${method.httpMethod} ${method.path}`).sort()).toEqual(
      ROUTES.filter((route) => route.credentials === 'awsIam')
        .map((route) => `${route.method} ${route.resource}`)
        .sort(),
    );
    for (const method of iamMethods) expect(method.properties.AuthorizationType).toBe('AWS_IAM');
    // Every other method of an admin resource is a MOCK: an unsigned request to an admin path gets 401,
    // 404 or 405, never data.
    for (const method of methods.filter((m) => m.path.startsWith('/admin/') && m.httpMethod === 'ANY')) {
      expect(method.integration.Type).toBe('MOCK');
    }
  });

  it('answers the other AWS_IAM refusals 403 in the error shape: a bad signature, expired credentials, a policy that denies, an unknown access key', () => {
    for (const type of ['INVALID_SIGNATURE', 'EXPIRED_TOKEN', 'ACCESS_DENIED', 'DEFAULT_4XX'] as const) {
      const response = responses.find((candidate) => candidate.ResponseType === type)!;
      expect(response.StatusCode).toBe('403');
      expect(JSON.parse(response.ResponseTemplates['application/json']!)).toMatchObject({
        error: { code: 'FORBIDDEN', requestId: '$context.requestId' },
      });
    }
  });

  it('sends Retry-After when throttled and the ApiKey challenge for a missing partner key', () => {
    const parameters = (type: string) => responses.find((r) => r.ResponseType === type)!.ResponseParameters;

    expect(parameters('THROTTLED')['gatewayresponse.header.Retry-After']).toBe("'1'");
    expect(parameters('QUOTA_EXCEEDED')['gatewayresponse.header.Retry-After']).toBeUndefined();
    expect(parameters('INVALID_API_KEY')['gatewayresponse.header.WWW-Authenticate']).toBe(
      `'ApiKey header="x-api-key"'`,
    );
    expect(statusOf(GATEWAY_RESPONSES.THROTTLED)).toBe(429);
    expect(statusOf(GATEWAY_RESPONSES.INVALID_API_KEY)).toBe(401);
  });

  it('sends no CORS header at all without configured origins', () => {
    for (const response of ofType(bare, 'AWS::ApiGateway::GatewayResponse')) {
      expect(JSON.stringify(response.Properties.ResponseParameters)).not.toMatch(/Access-Control|Vary/);
    }
  });

  it('has fixed messages a VTL template keeps as they are', () => {
    for (const answer of [
      ...Object.values(GATEWAY_RESPONSES),
      ...Object.values(ROUTING_ANSWERS),
      ...Object.values(WAF_ANSWERS),
    ] as EdgeAnswer[]) {
      expect(answer.message).not.toMatch(/[$#\\]/);
    }
  });
});

describe('MOCK methods for requests no route takes', () => {
  const resourcePaths = new Set(['/']);
  for (const route of ROUTES) {
    const segments = route.resource.split('/').slice(1);
    segments.forEach((_, index) => resourcePaths.add(`/${segments.slice(0, index + 1).join('/')}`));
  }
  const anyMethods = methods.filter((method) => method.httpMethod === 'ANY');

  it('puts ANY on every resource of the API and on a greedy /{proxy+}', () => {
    expect(anyMethods.map((method) => method.path).sort()).toEqual([...resourcePaths, '/{proxy+}'].sort());
  });

  it.each([...resourcePaths, '/{proxy+}'])(
    '%s: 405 with Allow where the resource has methods, 404 elsewhere, in the error shape',
    (path) => {
      const method = anyMethods.find((candidate) => candidate.path === path)!;
      const routeMethods = ROUTES.filter((route) => route.resource === path).map((route) => route.method);
      const answer = routeMethods.length > 0 ? ROUTING_ANSWERS.NO_METHOD : ROUTING_ANSWERS.NO_ROUTE;
      const [response] = method.integration.IntegrationResponses;

      expect(method.properties).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false });
      expect(method.integration).toMatchObject({ Type: 'MOCK', PassthroughBehavior: 'NEVER' });
      expect(JSON.parse(method.integration.RequestTemplates['application/json']!)).toEqual({
        statusCode: statusOf(answer),
      });
      expect(response!.StatusCode).toBe(String(statusOf(answer)));
      expect(response!.ResponseParameters).toEqual({
        ...quoted(edgeAnswerHeaders(answer), 'method.response.header.'),
        ...(routeMethods.length > 0
          ? { 'method.response.header.Allow': `'${routeMethods.join(', ')}'` }
          : {}),
        ...quoted(edgeCorsHeaders(), 'method.response.header.'),
      });
      const body = response!.ResponseTemplates['application/json']!;
      expect(body.endsWith(JSON.stringify(edgeErrorBody(answer, '$context.requestId')))).toBe(true);
      // The allowed origins, and those only, get Access-Control-Allow-Origin (set by VTL).
      expect(body).toContain(ORIGINS.map((origin) => `$origin == "${origin}"`).join(' || '));
      expect(body).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
    },
  );
});

describe('preflights', () => {
  const browserResources = [
    ...new Set(ROUTES.filter((route) => route.credentials === 'bearerJwt').map((route) => route.resource)),
  ];
  const preflights = methods.filter((method) => method.httpMethod === 'OPTIONS');

  it('are MOCK methods of the browser routes only, without an API key, answering the contract headers', () => {
    expect(preflights.map((method) => method.path).sort()).toEqual([...browserResources].sort());
    for (const method of preflights) {
      const routeMethods = ROUTES.filter((route) => route.resource === method.path).map(
        (route) => route.method,
      );
      const [response] = method.integration.IntegrationResponses;
      expect(method.integration.Type).toBe('MOCK');
      expect(method.properties).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false });
      expect(response!.StatusCode).toBe(String(CORS.preflightStatus));
      expect(response!.ResponseParameters).toEqual(
        quoted(preflightHeaders(routeMethods), 'method.response.header.'),
      );
      // The headers every answer carries (README, "Headers"), preflights included.
      expect(response!.ResponseParameters).toMatchObject({
        'method.response.header.Cache-Control': "'no-store'",
        'method.response.header.Pragma': "'no-cache'",
        'method.response.header.X-Content-Type-Options': "'nosniff'",
      });
      expect(method.properties.MethodResponses).toEqual([
        expect.objectContaining({
          ResponseParameters: expect.objectContaining({
            'method.response.header.Pragma': true,
            'method.response.header.X-Content-Type-Options': true,
          }) as unknown,
        }),
      ]);
      // No fixed Access-Control-Allow-Origin (CDK's own preflight sends its first origin to anyone).
      expect(response!.ResponseTemplates['application/json']).toContain(
        ORIGINS.map((origin) => `$origin == "${origin}"`).join(' || '),
      );
    }
  });

  it('do not exist without configured origins', () => {
    expect(
      Object.values(bare.findResources('AWS::ApiGateway::Method') as Record<string, CfnJson>).filter(
        (method) => method.Properties.HttpMethod === 'OPTIONS',
      ),
    ).toEqual([]);
  });

  it('allow the request headers the function reads and expose the ones a page needs', () => {
    expect(CORS.allowHeaders).toEqual(['Authorization', 'Content-Type']);
    expect(CORS.exposeHeaders).toEqual(
      expect.arrayContaining(['WWW-Authenticate', 'Retry-After', 'Retry-After-Ms', 'X-Request-Id']),
    );
  });
});

describe('the request model', () => {
  it("is the contract's schema, which the local API validates requests against", () => {
    const [model] = ofType(template, 'AWS::ApiGateway::Model');
    expect(model!.Properties.Schema).toEqual(requestModelSchema(PLAYBACK_URL_REQUEST));
  });
});

describe("WAF's custom responses", () => {
  const acl = ofType(template, 'AWS::WAFv2::WebACL')[0]!.Properties as {
    CustomResponseBodies: Record<string, { ContentType: string; Content: string }>;
    Rules: {
      Name: string;
      Priority: number;
      Action: Record<
        string,
        {
          CustomResponse?: {
            ResponseCode: number;
            CustomResponseBodyKey: string;
            ResponseHeaders: { Name: string; Value: string }[];
          };
        }
      >;
      RuleLabels?: { Name: string }[];
      Statement: Record<string, unknown>;
    }[];
  };
  const rule = (name: string) => acl.Rules.find((candidate) => candidate.Name === name)!;
  const headersOf = (name: string) =>
    Object.fromEntries(
      rule(name).Action.Block!.CustomResponse!.ResponseHeaders.map((header) => [header.Name, header.Value]),
    );

  it('answer in the error shape, with an empty request id (WAF bodies are fixed text)', () => {
    expect(Object.keys(acl.CustomResponseBodies).sort()).toEqual(['BodyTooLarge', 'RateLimited']);
    expect(JSON.parse(acl.CustomResponseBodies.BodyTooLarge!.Content)).toEqual(
      edgeErrorBody(WAF_ANSWERS.BODY_TOO_LARGE, WAF_REQUEST_ID),
    );
    expect(JSON.parse(acl.CustomResponseBodies.RateLimited!.Content)).toEqual(
      edgeErrorBody(WAF_ANSWERS.RATE_LIMITED, WAF_REQUEST_ID),
    );
    expect(acl.CustomResponseBodies.RateLimited!.ContentType).toBe('APPLICATION_JSON');
  });

  it('label the requests over the rate, then block them with 429 and Retry-After, before the body rules', () => {
    expect(acl.Rules.map((candidate) => candidate.Name)).toEqual([
      'RateLimitPerIp',
      'RateLimitedOrigin1',
      'RateLimitedOrigin2',
      'RateLimited',
      'BodySizeLimitOrigin1',
      'BodySizeLimitOrigin2',
      'BodySizeLimit',
    ]);
    expect(acl.Rules.map((candidate) => candidate.Priority)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rule('RateLimitPerIp')).toMatchObject({
      Action: { Count: {} },
      RuleLabels: [{ Name: RATE_LIMITED_LABEL }],
    });
    expect(rule('RateLimited').Statement).toEqual({
      LabelMatchStatement: { Scope: 'LABEL', Key: RATE_LIMITED_LABEL },
    });
    expect(rule('RateLimited').Action.Block!.CustomResponse).toMatchObject({
      ResponseCode: 429,
      CustomResponseBodyKey: 'RateLimited',
    });
    expect(headersOf('RateLimited')).toEqual({
      ...edgeAnswerHeaders(WAF_ANSWERS.RATE_LIMITED),
      ...edgeCorsHeaders(),
    });
    expect(headersOf('RateLimited')['Retry-After']).toBe('60');
    expect(rule('BodySizeLimit').Action.Block!.CustomResponse).toMatchObject({
      ResponseCode: 413,
      CustomResponseBodyKey: 'BodyTooLarge',
    });
  });

  it('give Access-Control-Allow-Origin to each configured origin by its own rule, since a WAF header is fixed', () => {
    ORIGINS.forEach((origin, index) => {
      for (const name of [`RateLimitedOrigin${index + 1}`, `BodySizeLimitOrigin${index + 1}`]) {
        expect(headersOf(name)['Access-Control-Allow-Origin']).toBe(origin);
        expect(JSON.stringify(rule(name).Statement)).toContain(
          JSON.stringify({
            ByteMatchStatement: {
              FieldToMatch: { SingleHeader: { Name: 'origin' } },
              PositionalConstraint: 'EXACTLY',
              SearchString: origin,
              TextTransformations: [{ Priority: 0, Type: 'NONE' }],
            },
          }),
        );
      }
    });
    expect(headersOf('RateLimited')['Access-Control-Allow-Origin']).toBeUndefined();
    expect(headersOf('BodySizeLimit')['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
