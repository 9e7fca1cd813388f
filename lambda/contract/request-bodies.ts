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
  | { readonly type: 'boolean' }
  | {
      readonly type: 'integer';
      readonly minimum: number;
      readonly maximum: number;
      readonly default?: number;
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
    : F extends { readonly type: 'integer' }
      ? number
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

/** A JSON Schema (draft 4, the dialect of API Gateway's models) as plain data. */
export interface RequestModelSchema {
  readonly $schema: 'http://json-schema.org/draft-04/schema#';
  readonly title: string;
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: Readonly<
    Record<string, { readonly type: FieldSchema['type']; readonly enum?: readonly string[] }>
  >;
  readonly required?: readonly string[];
}

/**
 * A request body as API Gateway's request model: a closed object of the fields' types and enumerations.
 * The stack's model is this schema and the local API validates requests against it (draft 4), so both
 * refuse the same bodies before the function runs; the function checks ranges, formats and the rules
 * between fields.
 */
export function requestModelSchema(body: BodySchema): RequestModelSchema {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: body.name,
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(body.fields).map(([name, field]) => [
        name,
        { type: field.type, ...('enum' in field ? { enum: [...field.enum] } : {}) },
      ]),
    ),
    ...(body.required ? { required: [...body.required] } : {}),
  };
}
