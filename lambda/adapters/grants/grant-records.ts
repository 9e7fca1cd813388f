import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { Grant } from '../../core/model';
import {
  CAPABILITIES,
  MAX_EXPIRES_SECONDS,
  MIN_EXPIRES_SECONDS,
  PLAYBACK_MODES,
  PROTOCOLS,
} from '../../contract';

/** A grant record that cannot be trusted. The message names the record and field, never other data. */
export class GrantRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrantRecordError';
  }
}

const PRINCIPAL = /^(user|group|partner):[^\s]{1,512}$/;
/** An exact stream name, or a prefix (possibly empty: every stream) followed by `*`. */
const STREAM_PATTERN = /^(?:[a-zA-Z0-9_.-]{1,256}|[a-zA-Z0-9_.-]{0,255}\*)$/;
const GRANT_ID = /^[\x21-\x7e]{1,256}$/;

// Strict: a misspelt optional field (say `notafter`) would otherwise be dropped and widen the grant.
const grantRecordFields = z.strictObject({
  principal: z.string().check(z.regex(PRINCIPAL, 'must be user:<sub>, group:<name> or partner:<apiKeyId>')),
  grantId: z.optional(z.string().check(z.regex(GRANT_ID, 'must be 1-256 printable characters'))),
  streams: z
    .array(z.string().check(z.regex(STREAM_PATTERN, 'must be a stream name or a prefix ending in *')))
    .check(z.minLength(1)),
  // Absent: PLAY only, so that records written before capabilities existed keep their meaning.
  capabilities: z.optional(z.array(z.enum(CAPABILITIES)).check(z.minLength(1))),
  // Required with PLAY, refused without it (below): they say how a stream is played.
  playbackModes: z.optional(z.array(z.enum(PLAYBACK_MODES)).check(z.minLength(1))),
  protocols: z.optional(z.array(z.enum(PROTOCOLS)).check(z.minLength(1))),
  maxExpiresInSeconds: z.int().check(z.gte(MIN_EXPIRES_SECONDS), z.lte(MAX_EXPIRES_SECONDS)),
  archiveWindowSeconds: z.optional(z.int().check(z.gte(0))),
  notAfter: z.optional(z.iso.datetime({ offset: true })),
  callerLimit: z.optional(
    z.strictObject({
      ratePerSecond: z.number().check(z.positive(), z.lte(10_000)),
      burst: z.int().check(z.gte(1), z.lte(10_000)),
    }),
  ),
  // A boolean, never a string: "false" must not read as consent.
  producerTimestamps: z.optional(z.boolean()),
});

const grantRecordSchema = grantRecordFields.check(
  z.superRefine((record, ctx) => {
    const plays = (record.capabilities ?? ['PLAY']).includes('PLAY');
    for (const field of ['playbackModes', 'protocols'] as const) {
      if (plays && record[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'required when the grant allows PLAY' });
      }
      if (!plays && record[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'allowed only when the grant allows PLAY' });
      }
    }
  }),
);

/** A grant record as stored: a DynamoDB item once unmarshalled, or one entry of a grants file. */
export type GrantRecord = z.output<typeof grantRecordSchema>;

/**
 * Validates one stored grant record (DynamoDB item after unmarshalling, or one entry of a grants file)
 * and turns it into the domain `Grant`. Throws GrantRecordError.
 */
export function parseGrantRecord(input: unknown, label = 'grant record'): Grant {
  return toGrant(validateGrantRecord(input, label));
}

/** Validates one grant record and returns it as the record it is. Throws GrantRecordError. */
export function validateGrantRecord(input: unknown, label = 'grant record'): GrantRecord {
  const result = grantRecordSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      const text = describeIssue(issue);
      return path ? `${path}: ${text}` : text;
    });
    throw new GrantRecordError(`Invalid ${label}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Validates an array of grant records (the grants file and the local seed). Throws on the first bad one. */
export function parseGrantRecords(input: unknown): Grant[] {
  if (!Array.isArray(input)) throw new GrantRecordError('Grant records must be a JSON array.');
  return input.map((record, index) => parseGrantRecord(record, `grant record #${index}`));
}

/** zod/mini ships no message locale; say what is wrong without echoing the offending value. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field ${issue.keys.join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : ''}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'regex' ? issue.message : `must be a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function toGrant(record: GrantRecord): Grant {
  return {
    principal: record.principal,
    grantId: record.grantId ?? defaultGrantId(record),
    streams: [...record.streams],
    ...(record.capabilities !== undefined ? { capabilities: [...new Set(record.capabilities)] } : {}),
    playbackModes: [...new Set(record.playbackModes ?? [])],
    protocols: [...new Set(record.protocols ?? [])],
    maxExpiresInSeconds: record.maxExpiresInSeconds,
    ...(record.archiveWindowSeconds !== undefined
      ? { archiveWindowSeconds: record.archiveWindowSeconds }
      : {}),
    ...(record.notAfter !== undefined ? { notAfter: Date.parse(record.notAfter) } : {}),
    ...(record.callerLimit !== undefined ? { callerLimit: { ...record.callerLimit } } : {}),
    ...(record.producerTimestamps !== undefined ? { producerTimestamps: record.producerTimestamps } : {}),
  };
}

/** Derived from the record's content, so the same file always yields the same ids. */
function defaultGrantId(record: GrantRecord): string {
  const canonical = JSON.stringify([
    record.principal,
    record.streams,
    record.playbackModes,
    record.protocols,
    record.maxExpiresInSeconds,
    record.archiveWindowSeconds ?? null,
    record.notAfter ?? null,
    // Appended only when present, so ids of grants without them stay what they were.
    ...(record.callerLimit !== undefined ? [record.callerLimit] : []),
    ...(record.producerTimestamps !== undefined ? [{ producerTimestamps: record.producerTimestamps }] : []),
    ...(record.capabilities !== undefined ? [{ capabilities: record.capabilities }] : []),
  ]);
  return `g-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}
