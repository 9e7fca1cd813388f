import {
  CONTAINER_FORMATS,
  DISCONTINUITY_MODES,
  MAX_EXPIRES_SECONDS,
  MAX_FRAGMENTS,
  MIN_EXPIRES_SECONDS,
  PLAYBACK_MODES,
  PROTOCOLS,
  TIMESTAMP_SOURCES,
} from './playback';
import { CAPABILITIES } from './media';

/**
 * One field of a JSON request body, in the terms JSON Schema uses (so that the stack's request model and
 * `openapi.yaml` are written from it as they are). A field is optional unless its body requires it.
 */
export type FieldSchema =
  | {
      readonly type: 'string';
      readonly enum: readonly [string, ...string[]];
      readonly default?: string;
    }
  | { readonly type: 'string'; readonly format: 'date-time' }
  | {
      readonly type: 'string';
      /** A regular expression the whole value matches (its source, anchored). */
      readonly pattern: string;
      /** What a value must be, in words: the validation message when it does not match. */
      readonly description: string;
    }
  | { readonly type: 'string'; readonly maxLength: number }
  | { readonly type: 'boolean' }
  | {
      readonly type: 'integer';
      readonly minimum: number;
      /** Absent: no upper bound. */
      readonly maximum?: number;
      readonly default?: number;
    }
  | { readonly type: 'number'; readonly minimum: number; readonly maximum: number }
  | { readonly type: 'array'; readonly items: FieldSchema; readonly minItems: number }
  | {
      readonly type: 'object';
      readonly fields: Readonly<Record<string, FieldSchema>>;
      readonly required: readonly string[];
    };

/** A JSON object body: these fields, optional unless listed in `required`, and no other. */
export interface BodySchema {
  /** The model's name (the stack's request model, the schema of `openapi.yaml`). */
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSchema>>;
  /** Fields the body must have; absent: every field is optional (and an empty body is `{}`). */
  readonly required?: readonly string[];
}

/** The value a field holds once validated. */
export type FieldValue<F extends FieldSchema> = F extends { readonly enum: readonly (infer E)[] }
  ? E
  : F extends { readonly type: 'boolean' }
    ? boolean
    : F extends { readonly type: 'integer' | 'number' }
      ? number
      : F extends { readonly type: 'array'; readonly items: infer I extends FieldSchema }
        ? readonly FieldValue<I>[]
        : F extends { readonly type: 'object'; readonly fields: infer O extends Record<string, FieldSchema> }
          ? { readonly [K in keyof O]?: FieldValue<O[K]> }
          : string;

/** A validated body of `schema`: every field optional (the required ones are checked, not typed). */
export type BodyOf<S extends BodySchema> = {
  readonly [K in keyof S['fields']]?: FieldValue<S['fields'][K]>;
};

/**
 * Every request body is JSON of at most this many bytes (the function's default limit, and the body
 * size rule of the web ACL).
 */
export const MAX_REQUEST_BODY_BYTES = 8192;

/**
 * The body of `POST .../playback-url`. Only shapes, enumerations, ranges and defaults: the rules between
 * fields (LIVE takes no `start`, `end` after `start`, ...) are the function's, as KVS applies them.
 */
export const PLAYBACK_URL_REQUEST = {
  name: 'PlaybackUrlRequest',
  fields: {
    protocol: { type: 'string', enum: PROTOCOLS, default: 'HLS' },
    playbackMode: { type: 'string', enum: PLAYBACK_MODES, default: 'LIVE' },
    timestampSource: { type: 'string', enum: TIMESTAMP_SOURCES, default: 'SERVER' },
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    containerFormat: { type: 'string', enum: CONTAINER_FORMATS },
    discontinuityMode: { type: 'string', enum: DISCONTINUITY_MODES },
    displayFragmentTimestamp: { type: 'boolean' },
    displayFragmentNumber: { type: 'boolean' },
    maxFragments: { type: 'integer', minimum: 1, maximum: MAX_FRAGMENTS },
    expiresInSeconds: {
      type: 'integer',
      minimum: MIN_EXPIRES_SECONDS,
      maximum: MAX_EXPIRES_SECONDS,
      default: MIN_EXPIRES_SECONDS,
    },
  },
} as const satisfies BodySchema;

export type PlaybackUrlRequestBody = BodyOf<typeof PLAYBACK_URL_REQUEST>;

/** The slowest `callerLimit.ratePerSecond` a grant may set: one request a day. */
export const MIN_RATE_PER_SECOND = 1 / 86_400;

/**
 * `user:<sub>`, `group:<name>` or `partner:<apiKeyId>`: whom a grant or a revocation is for. No white space
 * and no control character (`\p{Cc}`: C0, DEL, C1; `\s` leaves out NUL, ESC, DEL and U+0085), so a principal can be
 * printed and logged as it is.
 */
export const PRINCIPAL_PATTERN = /^(user|group|partner):[^\s\p{Cc}]{1,512}$/u;
/** A grant's id within its principal (the grants table's sort key): printable ASCII, no space, no control. */
export const GRANT_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
/**
 * Grant ids starting with this are the service's own items beside a principal's grants (its revocation):
 * the admin API refuses them as grant ids.
 */
export const RESERVED_GRANT_ID_PREFIX = '#';

/**
 * What a grant allows: a grant record (docs/ARCHITECTURE.md, "Grants") without its key, `principal` and
 * `grantId`. The body of `PUT /admin/v1/principals/{principal}/grants/{grantId}`, and the fields the
 * function reads from every grant record (`lambda/adapters/grants/grant-records.ts` validates records
 * with these fields, the key added): what the admin API accepts is exactly what the function reads.
 */
export const GRANT_REQUEST = {
  name: 'GrantRequest',
  fields: {
    streams: {
      type: 'array',
      items: {
        type: 'string',
        pattern: '^(?:[a-zA-Z0-9_.-]{1,256}|[a-zA-Z0-9_.-]{0,255}\\*)$',
        description: 'must be a stream name or a prefix ending in *',
      },
      minItems: 1,
    },
    // Absent: PLAY only, so that records written before capabilities existed keep their meaning.
    capabilities: { type: 'array', items: { type: 'string', enum: CAPABILITIES }, minItems: 1 },
    // Required with PLAY, refused without it (grant-records.ts checks both): how a stream is played.
    playbackModes: { type: 'array', items: { type: 'string', enum: PLAYBACK_MODES }, minItems: 1 },
    protocols: { type: 'array', items: { type: 'string', enum: PROTOCOLS }, minItems: 1 },
    maxExpiresInSeconds: { type: 'integer', minimum: MIN_EXPIRES_SECONDS, maximum: MAX_EXPIRES_SECONDS },
    archiveWindowSeconds: { type: 'integer', minimum: 0 },
    notAfter: { type: 'string', format: 'date-time' },
    callerLimit: {
      type: 'object',
      fields: {
        // At least one request a day: a slower rate is no limit anyone means, and its emission interval
        // would overflow what the admission table holds (DynamoDB numbers stay within 1E-130..9.9E+125).
        ratePerSecond: { type: 'number', minimum: MIN_RATE_PER_SECOND, maximum: 10_000 },
        burst: { type: 'integer', minimum: 1, maximum: 10_000 },
      },
      required: ['ratePerSecond', 'burst'],
    },
    // A boolean, never a string: "false" must not read as consent.
    producerTimestamps: { type: 'boolean' },
  },
  required: ['streams', 'maxExpiresInSeconds'],
} as const satisfies BodySchema;

export type GrantRequestBody = BodyOf<typeof GRANT_REQUEST>;

/** The longest reason a revocation keeps (it shows in the admin API and its audit lines). */
export const MAX_REVOCATION_REASON_LENGTH = 500;

/** The body of `PUT /admin/v1/principals/{principal}/revocation`: both fields optional. */
export const REVOCATION_REQUEST = {
  name: 'RevocationRequest',
  fields: {
    reason: { type: 'string', maxLength: MAX_REVOCATION_REASON_LENGTH },
    /** The revocation ends by itself at this instant; absent: until it is lifted. */
    until: { type: 'string', format: 'date-time' },
  },
} as const satisfies BodySchema;

export type RevocationRequestBody = BodyOf<typeof REVOCATION_REQUEST>;

/** One field of a request model: JSON Schema draft 4 (the dialect of API Gateway's models) as plain data. */
export interface RequestModelField {
  readonly type: FieldSchema['type'];
  readonly enum?: readonly string[];
  readonly items?: RequestModelField;
  readonly additionalProperties?: false;
  readonly properties?: Readonly<Record<string, RequestModelField>>;
  readonly required?: readonly string[];
}

/** A request body's model: a closed object. */
export interface RequestModelSchema extends RequestModelField {
  readonly $schema: 'http://json-schema.org/draft-04/schema#';
  readonly title: string;
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: Readonly<Record<string, RequestModelField>>;
}

/** An object of fields, closed: those of `required` present, no other. */
function objectModel(
  fields: Readonly<Record<string, FieldSchema>>,
  required: readonly string[] | undefined,
): {
  type: 'object';
  additionalProperties: false;
  properties: Record<string, RequestModelField>;
  required?: string[];
} {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldModel(field)])),
    ...(required && required.length > 0 ? { required: [...required] } : {}),
  };
}

/** One field as API Gateway validates it: its shape and enumeration; ranges and patterns are the function's. */
function fieldModel(field: FieldSchema): RequestModelField {
  switch (field.type) {
    case 'array':
      return { type: 'array', items: fieldModel(field.items) };
    case 'object':
      return objectModel(field.fields, field.required);
    default:
      return { type: field.type, ...('enum' in field ? { enum: [...field.enum] } : {}) };
  }
}

/**
 * A request body as API Gateway's request model: a closed object of the fields' types, enumerations and
 * required fields (nested objects and array items alike). The stack's model is this schema and the local
 * API validates requests against it (draft 4), so both refuse the same bodies before the function runs;
 * the function checks ranges, formats, patterns and the rules between fields.
 */
export function requestModelSchema(body: BodySchema): RequestModelSchema {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: body.name,
    ...objectModel(body.fields, body.required),
  };
}
