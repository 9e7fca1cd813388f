import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

type Json = Record<string, unknown>;

export interface ObservedResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * Checks real responses against `openapi.yaml`: the operation must document the status, the body must
 * match its JSON schema (OpenAPI 3.1 schemas are JSON Schema 2020-12) and documented headers with a
 * schema must be present (unless marked `required: false`) and match.
 */
export class OpenApiContract {
  readonly document: Json;
  private readonly ajv: Ajv2020;

  constructor(file = resolve(__dirname, '..', '..', '..', 'openapi.yaml')) {
    this.document = parse(readFileSync(file, 'utf8')) as Json;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addFormat(
      'date-time',
      (value: string) =>
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) &&
        !Number.isNaN(Date.parse(value)),
    );
    this.ajv.addFormat('uri', (value: string) => URL.canParse(value));
    this.ajv.addSchema({ ...this.document, $id: 'openapi' });
  }

  /** Throws with every violation listed. */
  assertResponse(method: string, pathTemplate: string, response: ObservedResponse): void {
    const paths = this.document.paths as Record<string, Json>;
    const operation = paths[pathTemplate]?.[method.toLowerCase()] as Json | undefined;
    if (!operation) throw new Error(`openapi.yaml has no ${method} ${pathTemplate}`);
    const responses = operation.responses as Record<string, Json>;
    const documented = responses[String(response.status)];
    if (!documented) {
      throw new Error(`openapi.yaml: ${method} ${pathTemplate} does not document status ${response.status}`);
    }
    const pointer = this.pointerOf(
      documented,
      `paths/${escape(pathTemplate)}/${method.toLowerCase()}/responses/${response.status}`,
    );
    const resolved = this.resolve(pointer);
    const problems: string[] = [];

    const content = resolved.content as Record<string, { schema: Json }> | undefined;
    if (content) {
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.startsWith('application/json')) problems.push(`content-type is "${contentType}"`);
      const validate = this.ajv.compile({ $ref: `openapi#/${pointer}/content/application~1json/schema` });
      if (!validate(response.body)) {
        problems.push(
          ...(validate.errors ?? []).map((error) => `body${error.instancePath} ${error.message ?? ''}`),
        );
      }
    }

    const headers = (resolved.headers ?? {}) as Record<string, Json>;
    for (const [name, header] of Object.entries(headers)) {
      const headerPointer = this.pointerOf(header, `${pointer}/headers/${escape(name)}`);
      const definition = this.resolve(headerPointer);
      const schema = definition.schema as Json | undefined;
      if (!schema) continue;
      const value = response.headers.get(name);
      if (value === null) {
        // A header the document marks `required: false` is sent on some answers of the status only.
        if (definition.required !== false) problems.push(`header ${name} is missing`);
        continue;
      }
      const validate = this.ajv.compile({ $ref: `openapi#/${headerPointer}/schema` });
      if (!validate(value)) problems.push(`header ${name}: ${this.ajv.errorsText(validate.errors)}`);
    }

    if (problems.length > 0) {
      throw new Error(
        `${method} ${pathTemplate} ${response.status} breaks openapi.yaml:\n  ${problems.join('\n  ')}`,
      );
    }
  }

  /** JSON pointer (without `#/`) of an object that may be a `$ref`. */
  private pointerOf(node: Json, here: string): string {
    const ref = node.$ref;
    return typeof ref === 'string' ? ref.replace(/^#\//, '') : here;
  }

  private resolve(pointer: string): Json {
    let node: unknown = this.document;
    for (const part of pointer.split('/')) {
      node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return node as Json;
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
