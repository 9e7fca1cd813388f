import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_STATUS,
  GATEWAY_RESPONSES,
  GRANT_ID_PATTERN,
  PRINCIPAL_PATTERN,
  ROUTES,
  ROUTING_ANSWERS,
  SESSIONS_PAGE_SIZE,
  statusOf,
  STREAM_NAME_PATTERN,
  WAF_ANSWERS,
  type EdgeAnswer,
  type ErrorCode,
  type FieldSchema,
} from '../../lambda/contract';
import { OpenApiContract } from './support/openapi';

type Json = Record<string, unknown>;

describe('openapi.yaml', () => {
  const contract = new OpenApiContract();
  const document = contract.document as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          security?: Record<string, unknown>[];
          requestBody?: Json;
          responses: Record<string, Json>;
        }
      >
    >;
    components: { schemas: Record<string, Json>; parameters: Record<string, Json> };
    'x-edge-answers': {
      by: string;
      name: string;
      status: number;
      code: string;
      retryAfterSeconds?: number;
    }[];
  };
  /** Follows `$ref`s within the document. */
  const resolve = (node: Json): Json => {
    let current = node;
    while (typeof current.$ref === 'string') {
      let target: unknown = document;
      for (const part of current.$ref.replace(/^#\//, '').split('/')) {
        target = (target as Json)[part.replace(/~1/g, '/')];
      }
      current = target as Json;
    }
    return current;
  };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([key]) => key !== 'parameters')
      .map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );

  it('describes exactly the routes of the contract (lambda/contract), each with its credentials', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map(
          (method) =>
            `${method.toUpperCase()} ${path} ${Object.keys(item[method]!.security?.[0] ?? {}).join()}`,
        ),
    );
    const defined = ROUTES.map((route) => `${route.method} ${route.resource} ${route.credentials}`);

    expect(document.openapi).toMatch(/^3\.1\./);
    expect(documented.sort()).toEqual(defined.sort());
  });

  it("documents each request body of the contract with its fields' types, enumerations, ranges, patterns, defaults and required fields", () => {
    /** A field of the contract in JSON Schema's words (descriptions are for people, not compared). */
    const expected = (field: FieldSchema): Json => {
      switch (field.type) {
        case 'array':
          return { type: 'array', items: expected(field.items), minItems: field.minItems };
        case 'object':
          return {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(
              Object.entries(field.fields).map(([name, inner]) => [name, expected(inner)]),
            ),
            required: [...field.required],
          };
        default: {
          const { description: _, ...rest } = field as FieldSchema & { description?: string };
          return { ...rest, ...('enum' in field ? { enum: [...field.enum] } : {}) };
        }
      }
    };
    /** The documented schema, `$ref`s followed and descriptions dropped at every level. */
    const documented = (node: Json): Json => {
      const { $ref: _, description: __, ...own } = node;
      const { description: ___, ...referenced } = resolve(node);
      const merged: Json = { ...referenced, ...own };
      if (merged.items) merged.items = documented(merged.items as Json);
      if (merged.properties) {
        merged.properties = Object.fromEntries(
          Object.entries(merged.properties as Record<string, Json>).map(([name, inner]) => [
            name,
            documented(inner),
          ]),
        );
      }
      return merged;
    };
    for (const route of ROUTES) {
      const operation = document.paths[route.resource]![route.method.toLowerCase()]!;
      if (!route.requestBody) {
        expect(operation.requestBody).toBeUndefined();
        continue;
      }
      const body = resolve(operation.requestBody!);
      const schema = documented(
        (body.content as Record<string, { schema: Json }>)['application/json']!.schema,
      );
      const required = route.requestBody.required ?? [];

      // A body with required fields is itself required; one without is optional (an empty body is `{}`).
      expect(body.required).toBe(required.length > 0);
      expect(schema.additionalProperties).toBe(false);
      expect(schema.required ?? []).toEqual([...required]);
      expect(schema.properties).toEqual(
        Object.fromEntries(
          Object.entries(route.requestBody.fields).map(([name, field]) => [name, expected(field)]),
        ),
      );
    }
  });

  it('documents the path parameters with the patterns the functions check', () => {
    const pattern = (name: string) =>
      (document.components.parameters[name] as { schema: { pattern: string } }).schema.pattern;

    expect(pattern('StreamName')).toBe(STREAM_NAME_PATTERN.source);
    expect(pattern('Principal')).toBe(PRINCIPAL_PATTERN.source);
    expect(pattern('GrantId')).toBe(GRANT_ID_PATTERN.source);
  });

  it('states the sessions page size of the contract, as the README does', () => {
    const operation = document.paths['/admin/v1/sessions']!.get! as { parameters?: Json[] };
    expect((operation.parameters ?? []).find((parameter) => parameter.name === 'limit')).toMatchObject({
      schema: { minimum: 1, maximum: SESSIONS_PAGE_SIZE.max, default: SESSIONS_PAGE_SIZE.default },
    });
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const stated = [...readme.matchAll(/`limit` (?:up to|at most) (\d[\d,]*)/g)].map((match) =>
      Number(match[1]!.replaceAll(',', '')),
    );
    expect(stated.length).toBeGreaterThan(0);
    expect(stated).toEqual(stated.map(() => SESSIONS_PAGE_SIZE.max));
  });

  it('documents the query parameters each route reads', () => {
    for (const route of ROUTES) {
      const operation = document.paths[route.resource]![route.method.toLowerCase()]! as {
        parameters?: Json[];
      };
      const query = (operation.parameters ?? [])
        .map((parameter) => resolve(parameter))
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name);
      expect(query).toEqual([...(route.queryParameters ?? [])]);
    }
  });

  it('lists every answer API Gateway and WAF give without the function, as the contract table does', () => {
    const entry = (by: string, name: string, answer: EdgeAnswer) => ({
      by,
      name,
      status: statusOf(answer),
      code: answer.code,
      ...(answer.retryAfterSeconds !== undefined ? { retryAfterSeconds: answer.retryAfterSeconds } : {}),
    });

    expect(document['x-edge-answers']).toEqual([
      ...Object.entries(ROUTING_ANSWERS).map(([name, answer]) => entry('api-gateway-mock', name, answer)),
      ...Object.entries(GATEWAY_RESPONSES).map(([name, answer]) => entry('api-gateway', name, answer)),
      ...Object.entries(WAF_ANSWERS).map(([name, answer]) => entry('waf', name, answer)),
    ]);
  });

  it('documents each error code under the status the contract gives it, and every code the API answers with', () => {
    const misplaced: string[] = [];
    const unlisted: string[] = [];
    const documented = new Set<string>();
    for (const { path, method, operation } of operations) {
      for (const [status, reference] of Object.entries(operation.responses)) {
        const response = resolve(reference);
        const codes = (response['x-error-codes'] ?? []) as string[];
        if (
          JSON.stringify(response.content ?? {}).includes('#/components/schemas/Error"') &&
          codes.length === 0
        ) {
          unlisted.push(`${method} ${path} ${status}`);
        }
        for (const code of codes) {
          documented.add(code);
          if (ERROR_STATUS[code as ErrorCode] !== Number(status))
            misplaced.push(`${method} ${path} ${status} ${code}`);
        }
      }
    }
    for (const answer of document['x-edge-answers']) documented.add(answer.code);
    const errorSchema = resolve(document.components.schemas.Error!) as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };

    expect(misplaced).toEqual([]);
    expect(unlisted).toEqual([]);
    // Every code is documented, the edge's (NOT_FOUND, METHOD_NOT_ALLOWED, INTERNAL...) included.
    expect([...documented].sort()).toEqual([...errorSchema.properties.error.properties.code.enum].sort());
    expect([...documented].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it('documents, for each operation, the status of every edge answer it can get', () => {
    const missing: string[] = [];
    // Answers any operation can get; unknown paths and methods are not operations. MISSING_AUTHENTICATION_TOKEN
    // and DEFAULT_4XX (an unknown access key) are the AWS_IAM routes'.
    const anyOperation = Object.entries(GATEWAY_RESPONSES).filter(
      ([name]) =>
        ![
          'MISSING_AUTHENTICATION_TOKEN',
          'INVALID_API_KEY',
          'QUOTA_EXCEEDED',
          'BAD_REQUEST_BODY',
          'BAD_REQUEST_PARAMETERS',
          'UNSUPPORTED_MEDIA_TYPE',
          'UNAUTHORIZED',
          'RESOURCE_NOT_FOUND',
          'DEFAULT_4XX',
        ].includes(name),
    );
    for (const route of ROUTES) {
      const responses = document.paths[route.resource]![route.method.toLowerCase()]!.responses;
      const expected: [string, EdgeAnswer][] = [
        ...anyOperation,
        ...Object.entries(WAF_ANSWERS),
        ...(route.credentials === 'apiKey'
          ? ([
              ['INVALID_API_KEY', GATEWAY_RESPONSES.INVALID_API_KEY],
              ['QUOTA_EXCEEDED', GATEWAY_RESPONSES.QUOTA_EXCEEDED],
            ] as [string, EdgeAnswer][])
          : []),
        ...(route.requestBody
          ? ([['BAD_REQUEST_BODY', GATEWAY_RESPONSES.BAD_REQUEST_BODY]] as [string, EdgeAnswer][])
          : []),
        // The admin routes (AWS_IAM): unsigned or a bearer token, and an access key AWS does not know.
        ...(route.credentials === 'awsIam'
          ? ([
              ['MISSING_AUTHENTICATION_TOKEN', GATEWAY_RESPONSES.MISSING_AUTHENTICATION_TOKEN],
              ['DEFAULT_4XX', GATEWAY_RESPONSES.DEFAULT_4XX],
            ] as [string, EdgeAnswer][])
          : []),
      ];
      for (const [name, answer] of expected) {
        const response = responses[String(statusOf(answer))];
        const codes = response ? ((resolve(response)['x-error-codes'] ?? []) as string[]) : [];
        if (!codes.includes(answer.code)) missing.push(`${route.method} ${route.resource}: ${name}`);
      }
    }

    expect(missing).toEqual([]);
  });

  it('has no dangling $ref', () => {
    const dangling: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          let target: unknown = contract.document;
          for (const part of value.replace(/^#\//, '').split('/')) {
            target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/')];
          }
          if (target === undefined) dangling.push(value);
        } else {
          visit(value);
        }
      }
    };

    visit(contract.document);

    expect(dangling).toEqual([]);
  });

  it('rejects a response that breaks it, so the checks of the local stack tests can fail', () => {
    const headers = new Headers({ 'content-type': 'application/json' });

    expect(() =>
      contract.assertResponse('GET', '/v1/streams', { status: 200, headers, body: { streams: [{}] } }),
    ).toThrow(/breaks openapi.yaml/);
    expect(() => contract.assertResponse('GET', '/v1/streams', { status: 418, headers, body: {} })).toThrow(
      /does not document status 418/,
    );
    expect(() =>
      contract.assertResponse('POST', '/v1/streams/{streamName}/playback-url', {
        status: 200,
        headers: new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=60' }),
        body: {
          url: 'http://127.0.0.1:4567/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x',
          protocol: 'HLS',
          stream: 'front-door',
          playbackMode: 'LIVE',
          expiresAt: '2026-11-25T12:05:00Z',
          expiresInSeconds: 300,
        },
      }),
    ).toThrow(/header Cache-Control/);
    // A 429 needs its Retry-After; Retry-After-Ms (required: false) only where admission sent it, and then
    // in its shape.
    const limited = (extra: Record<string, string>) => () =>
      contract.assertResponse('POST', '/v1/streams/{streamName}/playback-url', {
        status: 429,
        headers: new Headers({
          'content-type': 'application/json',
          'cache-control': 'no-store',
          'x-request-id': 'r1',
          ...extra,
        }),
        body: { error: { code: 'RATE_LIMITED', message: 'Too many requests.', requestId: 'r1' } },
      });
    expect(limited({ 'retry-after': '2' })).not.toThrow();
    expect(limited({ 'retry-after': '2', 'retry-after-ms': '1250' })).not.toThrow();
    expect(limited({ 'retry-after-ms': '1250' })).toThrow(/header Retry-After is missing/);
    expect(limited({ 'retry-after': '2', 'retry-after-ms': '1.25' })).toThrow(/header Retry-After-Ms/);
  });
});
