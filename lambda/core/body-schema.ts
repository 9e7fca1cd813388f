/** A request body of the contract as a zod schema, and zod's issues as the API's validation details. */
import * as z from 'zod/mini';
import type { BodyOf, BodySchema, FieldSchema } from '../contract';
import type { ValidationDetail } from './errors';

function fieldSchema(field: FieldSchema): z.ZodMiniType {
  switch (field.type) {
    case 'boolean':
      return z.boolean();
    case 'integer':
      return z.int().check(z.gte(field.minimum), z.lte(field.maximum));
    default:
      return 'enum' in field ? z.enum(field.enum) : TIMESTAMP;
  }
}

/**
 * An RFC 3339 timestamp with an offset. RFC 3339 (section 5.6) allows a lowercase `t` and `z`, which zod's
 * ISO check does not: they are uppercased first (the rest of a timestamp is digits and punctuation), so
 * `2026-12-02t04:05:10z` reads as `2026-12-02T04:05:10Z`.
 */
const TIMESTAMP = z.pipe(
  z.pipe(
    z.string(),
    z.transform((value: string) => value.toUpperCase()),
  ),
  z.iso.datetime({ offset: true }),
);

/**
 * The contract's body schema as a zod schema. Strict: a misspelt field (say `expiresInSecond`) must fail
 * loudly rather than silently fall back to a default.
 */
export function bodySchemaOf<S extends BodySchema>(schema: S): z.ZodMiniType<BodyOf<S>> {
  const shape = Object.fromEntries(
    Object.entries(schema.fields).map(([name, field]) => [name, z.optional(fieldSchema(field))]),
  );
  // The shape is built field by field from the schema, so its output is BodyOf<S> by construction.
  return z.strictObject(shape) as unknown as z.ZodMiniType<BodyOf<S>>;
}

/**
 * An unknown field's name is the caller's free text: a name such as `Bearer eyJ...`, or one holding
 * newlines and HTML, must never come back in an error body. Only a plain identifier is named.
 */
const NAMABLE_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function unknownFieldDetails(keys: readonly string[]): ValidationDetail[] {
  const named = keys.filter((key) => NAMABLE_FIELD.test(key));
  return [
    ...(named.length < keys.length ? [{ field: 'body', issue: 'has an unknown field' }] : []),
    ...named.map((key) => ({ field: key, issue: 'unknown field' })),
  ];
}

/** zod/mini ships no message locale: describe each issue without echoing the value that caused it. */
export function toDetails(issue: z.core.$ZodIssue): ValidationDetail[] {
  const field = issue.path.map(String).join('.') || 'body';
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownFieldDetails(issue.keys);
    case 'invalid_type':
      return [{ field, issue: `expected ${issue.expected}` }];
    case 'invalid_value':
      return [{ field, issue: `expected one of ${issue.values.map(String).join(', ')}` }];
    case 'too_small':
      return [{ field, issue: `must be at least ${String(issue.minimum)}` }];
    case 'too_big':
      return [{ field, issue: `must be at most ${String(issue.maximum)}` }];
    case 'invalid_format':
      return [{ field, issue: 'must be an RFC 3339 timestamp with a time zone offset' }];
    default:
      return [{ field, issue: 'invalid value' }];
  }
}
