import type { IncomingMessage } from 'node:http';
import Ajv from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import { requestModelSchema, type BodySchema } from '../../lambda/contract';

/**
 * API Gateway's request validator (`body-and-parameters` in `lib/constructs/vend-api.ts`), run on the same
 * request model, JSON Schema draft 4 as API Gateway uses it, so that a body the deployed API refuses
 * before the function runs is refused locally the same way (BAD_REQUEST_BODY).
 *
 * As in API Gateway, the body is validated against the model of its content type: `application/json`, or
 * no `Content-Type` at all (API Gateway then assumes JSON); another content type has no model, so the
 * body is not validated and the function answers it. An empty body passes (every field is optional; that
 * API Gateway agrees cannot be checked without an AWS account: README, "Deploy to AWS").
 *
 * A numeric literal past a double (`1e400`) is a JSON number like any other, and an integer in JSON Schema's
 * sense (no fractional part), so it passes the model's `integer` here as in API Gateway, although
 * `JSON.parse` makes it Infinity; the function then refuses it as out of range.
 */
export function createRequestValidator(): (
  request: IncomingMessage,
  body: Buffer,
  schema: BodySchema,
) => boolean {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const compiled = new Map<BodySchema, ValidateFunction>();
  const validatorOf = (schema: BodySchema): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(requestModelSchema(schema));
      compiled.set(schema, validate);
    }
    return validate;
  };

  return (request, body, schema) => {
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && mediaType(contentType) !== 'application/json') return true;
    if (body.length === 0) return true;
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return false;
    }
    return validatorOf(schema)(value);
  };
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}
