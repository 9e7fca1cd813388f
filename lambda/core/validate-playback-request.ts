import * as z from 'zod/mini';
import {
  PLAYBACK_URL_REQUEST,
  type BodyOf,
  type BodySchema,
  type FieldSchema,
  type PlaybackUrlRequestBody,
} from '../contract';
import { InvalidRequestError, type ValidationDetail } from './errors';
import type { PlaybackRequest } from './model';
import type { Clock } from './ports';

/** KVS: the end of a timestamp range must be within 24 hours of its start. */
const MAX_RANGE_MS = 24 * 60 * 60 * 1000;

const INVALID_MESSAGE = 'The request body is invalid.';
const FIELDS = PLAYBACK_URL_REQUEST.fields;

function fieldSchema(field: FieldSchema): z.ZodMiniType {
  switch (field.type) {
    case 'boolean':
      return z.boolean();
    case 'integer': {
      // One check, so one detail per field that names the contract's range only (zod's own integer type
      // would add a second one naming its safe-integer bound). A number out of range in any way, including
      // the Infinity that JSON.parse makes of a literal past a double (1e400), gets the same detail.
      const { minimum, maximum } = field;
      return z.custom<number>(
        (value) =>
          typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum,
        { error: `must be an integer from ${minimum} to ${maximum}` },
      );
    }
    default:
      return 'enum' in field ? z.enum(field.enum) : z.iso.datetime({ offset: true });
  }
}

/**
 * The contract's body schema as a zod schema. Strict: a misspelt field (say `expiresInSecond`) must fail
 * loudly rather than silently fall back to a default.
 */
function bodySchemaOf<S extends BodySchema>(schema: S): z.ZodMiniType<BodyOf<S>> {
  const shape = Object.fromEntries(
    Object.entries(schema.fields).map(([name, field]) => [name, z.optional(fieldSchema(field))]),
  );
  // The shape is built field by field from the schema, so its output is BodyOf<S> by construction.
  return z.strictObject(shape) as unknown as z.ZodMiniType<BodyOf<S>>;
}

const playbackBodySchema = bodySchemaOf(PLAYBACK_URL_REQUEST);

/**
 * Validates the body of `POST .../playback-url` against the contract and the rules KVS itself applies
 * (GetHLS/DASHStreamingSessionURL), so that a request KVS would refuse never reaches it. Every problem
 * found is reported at once in `details`; no detail echoes the offending value.
 */
export function validatePlaybackRequest(body: unknown, clock: Clock): PlaybackRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(INVALID_MESSAGE, [{ field: 'body', issue: 'must be a JSON object' }]);
  }
  const parsed = playbackBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError(INVALID_MESSAGE, parsed.error.issues.flatMap(toDetails));
  }
  const data: PlaybackUrlRequestBody = parsed.data;
  const protocol = data.protocol ?? FIELDS.protocol.default;
  const playbackMode = data.playbackMode ?? FIELDS.playbackMode.default;
  const timestampSource = data.timestampSource ?? FIELDS.timestampSource.default;
  const start = data.start === undefined ? undefined : Date.parse(data.start);
  const end = data.end === undefined ? undefined : Date.parse(data.end);
  const details: ValidationDetail[] = [];

  if (playbackMode === 'LIVE') {
    if (start !== undefined) details.push({ field: 'start', issue: 'not allowed when playbackMode is LIVE' });
    if (end !== undefined) details.push({ field: 'end', issue: 'not allowed when playbackMode is LIVE' });
  } else {
    if (start === undefined) {
      details.push({ field: 'start', issue: `required when playbackMode is ${playbackMode}` });
    }
    if (end === undefined && playbackMode === 'ON_DEMAND') {
      details.push({ field: 'end', issue: 'required when playbackMode is ON_DEMAND' });
    }
    if (start !== undefined && end !== undefined) {
      if (end <= start) details.push({ field: 'end', issue: 'must be after start' });
      else if (end - start > MAX_RANGE_MS)
        details.push({ field: 'end', issue: 'must be within 24 hours of start' });
    }
    if (end !== undefined && timestampSource === 'SERVER' && end > clock.now()) {
      details.push({ field: 'end', issue: 'must be in the past when timestampSource is SERVER' });
    }
  }

  if (protocol !== 'HLS') {
    if (data.containerFormat !== undefined) details.push({ field: 'containerFormat', issue: 'HLS only' });
    if (data.discontinuityMode !== undefined) details.push({ field: 'discontinuityMode', issue: 'HLS only' });
  }
  if (protocol !== 'DASH' && data.displayFragmentNumber !== undefined) {
    details.push({ field: 'displayFragmentNumber', issue: 'DASH only' });
  }
  if (details.length > 0) throw new InvalidRequestError(INVALID_MESSAGE, details);

  return {
    protocol,
    playbackMode,
    timestampSource,
    expiresInSeconds: data.expiresInSeconds ?? FIELDS.expiresInSeconds.default,
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    ...(data.containerFormat !== undefined ? { containerFormat: data.containerFormat } : {}),
    ...(data.discontinuityMode !== undefined ? { discontinuityMode: data.discontinuityMode } : {}),
    ...(data.displayFragmentTimestamp !== undefined
      ? { displayFragmentTimestamp: data.displayFragmentTimestamp }
      : {}),
    ...(data.displayFragmentNumber !== undefined
      ? { displayFragmentNumber: data.displayFragmentNumber }
      : {}),
    ...(data.maxFragments !== undefined ? { maxFragments: data.maxFragments } : {}),
  };
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
function toDetails(issue: z.core.$ZodIssue): ValidationDetail[] {
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
    case 'custom':
      return [{ field, issue: issue.message }];
    default:
      return [{ field, issue: 'invalid value' }];
  }
}
