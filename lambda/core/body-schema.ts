/**
 * The contract's body schemas (`lambda/contract/request-bodies.ts`) as zod schemas, and zod's issues as
 * the contract's error details: one translation for every body the API and the grants table hold.
 */
import * as z from 'zod/mini';
import type { BodyOf, BodySchema, FieldSchema } from '../contract';
import type { ValidationDetail } from './errors';

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

/** The zod schema of one field of the contract. */
export function fieldSchema(field: FieldSchema): z.ZodMiniType {
  switch (field.type) {
    case 'boolean':
      return z.boolean();
    case 'integer': {
      // One check, so one detail per field that names the contract's range only (zod's own integer type
      // would add a second one naming its safe-integer bound). A number out of range in any way, including
      // the Infinity that JSON.parse makes of a literal past a double (1e400), gets the same detail.
      const { minimum } = field;
      const maximum = field.maximum ?? Number.MAX_SAFE_INTEGER;
      const range =
        field.maximum === undefined ? `of at least ${minimum}` : `from ${minimum} to ${field.maximum}`;
      return z.custom<number>(
        (value) =>
          typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum,
        { error: `must be an integer ${range}` },
      );
    }
    case 'number':
      return z.number().check(z.gte(field.minimum), z.lte(field.maximum));
    case 'array':
      return z.array(fieldSchema(field.items)).check(z.minLength(field.minItems));
    case 'object':
      return objectSchema(field.fields, field.required);
    case 'string':
      if ('enum' in field) return z.enum(field.enum);
      if ('pattern' in field) return z.string().check(z.regex(new RegExp(field.pattern), field.description));
      if ('maxLength' in field) return z.string().check(z.maxLength(field.maxLength));
      return TIMESTAMP;
  }
}

function objectSchema(
  fields: Readonly<Record<string, FieldSchema>>,
  required: readonly string[] = [],
  extra: Readonly<Record<string, z.ZodMiniType>> = {},
): z.ZodMiniObject {
  const shape: Record<string, z.ZodMiniType> = { ...extra };
  for (const [name, field] of Object.entries(fields)) {
    const schema = fieldSchema(field);
    shape[name] = required.includes(name) ? schema : z.optional(schema);
  }
  // Strict: a misspelt optional field (say `expiresInSecond`, `notafter`) must fail loudly rather than
  // silently fall back to a default, or silently widen a grant.
  return z.strictObject(shape);
}

/**
 * The contract's body schema as a zod schema: its fields, those of `required` present, no other field
 * but those of `extra` (the key of a stored record, say).
 */
export function bodySchemaOf<S extends BodySchema>(
  schema: S,
  extra: Readonly<Record<string, z.ZodMiniType>> = {},
): z.ZodMiniType<BodyOf<S>> {
  // The shape is built field by field from the schema, so its output is BodyOf<S> by construction.
  return objectSchema(schema.fields, schema.required, extra) as unknown as z.ZodMiniType<BodyOf<S>>;
}

/**
 * An unknown field's name is the caller's free text: a name such as `Bearer eyJ...`, or one holding
 * newlines and HTML, must never come back in an error body. Only a plain identifier is named.
 */
const NAMABLE_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function unknownFieldDetails(path: string, keys: readonly string[]): ValidationDetail[] {
  const named = keys.filter((key) => NAMABLE_FIELD.test(key));
  return [
    ...(named.length < keys.length ? [{ field: path || 'body', issue: 'has an unknown field' }] : []),
    ...named.map((key) => ({ field: path ? `${path}.${key}` : key, issue: 'unknown field' })),
  ];
}

/**
 * What is wrong, for each zod issue: the field's path and the problem, never the offending value (zod/mini
 * ships no message locale, and the value may be anything the caller sent).
 */
export function issueDetails(issue: z.core.$ZodIssue): ValidationDetail[] {
  const path = issue.path.map(String).join('.');
  const field = path || 'body';
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownFieldDetails(path, issue.keys);
    case 'invalid_type':
      return [{ field, issue: `expected ${issue.expected}` }];
    case 'invalid_value':
      return [{ field, issue: `expected one of ${issue.values.map(String).join(', ')}` }];
    case 'too_small':
      return [
        {
          field,
          issue:
            issue.origin === 'array'
              ? `must hold at least ${String(issue.minimum)} item(s)`
              : issue.inclusive === false
                ? `must be greater than ${String(issue.minimum)}`
                : `must be at least ${String(issue.minimum)}`,
        },
      ];
    case 'too_big':
      return [
        {
          field,
          issue:
            issue.origin === 'string'
              ? `must be at most ${String(issue.maximum)} characters`
              : `must be at most ${String(issue.maximum)}`,
        },
      ];
    case 'invalid_format':
      return [
        {
          field,
          issue:
            issue.format === 'regex'
              ? issue.message
              : 'must be an RFC 3339 timestamp with a time zone offset',
        },
      ];
    case 'custom':
      // The service's own rules between fields (grant-records.ts): their message is ours, never a value.
      return [{ field, issue: issue.message }];
    default:
      return [{ field, issue: 'invalid value' }];
  }
}
