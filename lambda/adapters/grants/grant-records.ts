import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import {
  GRANT_ID_PATTERN,
  GRANT_REQUEST,
  PRINCIPAL_PATTERN,
  STACK_MANAGED,
  type GrantRequestBody,
} from '../../contract';
import { bodySchemaOf, issueDetails } from '../../core/body-schema';
import type { ValidationDetail } from '../../core/errors';
import type { Grant } from '../../core/model';

/**
 * A grant record that cannot be trusted. The message names the record and its fields, never their
 * values; `details` lists each problem (field and issue).
 */
export class GrantRecordError extends Error {
  constructor(
    message: string,
    readonly details: readonly ValidationDetail[] = [],
  ) {
    super(message);
    this.name = 'GrantRecordError';
  }
}

/**
 * The key of a grant record, then what it grants: the contract's GRANT_REQUEST, the body the admin API
 * takes, so that what the admin API accepts is exactly what the function reads.
 */
const grantRecordFields = bodySchemaOf(GRANT_REQUEST, {
  principal: z
    .string()
    .check(z.regex(PRINCIPAL_PATTERN, 'must be user:<sub>, group:<name> or partner:<apiKeyId>')),
  grantId: z.optional(z.string().check(z.regex(GRANT_ID_PATTERN, 'must be 1-256 printable characters'))),
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
export type GrantRecord = GrantRequestBody & {
  readonly principal: string;
  readonly grantId?: string;
} & Required<Pick<GrantRequestBody, 'streams' | 'maxExpiresInSeconds'>>;

/**
 * What the admin API and the stack keep on a stored grant beside its record: never part of what it
 * grants, so the function sets it aside before validating the record.
 */
export interface GrantMetadata {
  /**
   * Set by every write of the admin API from a table-wide counter: it grows, and never repeats for a grant
   * deleted and created again; 0 for a record written otherwise.
   */
  readonly version: number;
  /** RFC 3339, by the admin API. */
  readonly updatedAt?: string;
  /** The IAM principal (ARN) that wrote it through the admin API. */
  readonly updatedBy?: string;
  /** `stack`: a partner grant of `cdk.json`, written and deleted by deploys only. */
  readonly managedBy?: typeof STACK_MANAGED;
}

export const GRANT_METADATA_ATTRIBUTES = ['version', 'updatedAt', 'updatedBy', 'managedBy'] as const;

const metadataSchema = z.object({
  version: z.optional(z.int().check(z.gte(0))),
  updatedAt: z.optional(z.string()),
  updatedBy: z.optional(z.string()),
  managedBy: z.optional(z.literal(STACK_MANAGED)),
});

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
    const details = result.error.issues.flatMap(issueDetails);
    throw new GrantRecordError(
      `Invalid ${label}: ${details.map((detail) => `${detail.field}: ${detail.issue}`).join('; ')}`,
      details,
    );
  }
  return result.data as GrantRecord;
}

/** A grant as the grants table holds it: the record, what it grants, and its metadata. */
export interface StoredGrant {
  readonly record: GrantRecord;
  readonly grant: Grant;
  readonly metadata: GrantMetadata;
}

/**
 * Reads one item of the grants table: its metadata set aside, then the record validated as the function
 * reads it. Throws GrantRecordError.
 */
export function parseStoredGrant(
  item: Readonly<Record<string, unknown>>,
  label = 'grant record',
): StoredGrant {
  const record: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if ((GRANT_METADATA_ATTRIBUTES as readonly string[]).includes(name)) attributes[name] = value;
    else record[name] = value instanceof Set ? [...(value as Set<unknown>)] : value;
  }
  const parsed = metadataSchema.safeParse(attributes);
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap(issueDetails);
    throw new GrantRecordError(
      `Invalid ${label}: ${details.map((detail) => `${detail.field}: ${detail.issue}`).join('; ')}`,
      details,
    );
  }
  const valid = validateGrantRecord(record, label);
  const { version, updatedAt, updatedBy, managedBy } = parsed.data;
  return {
    record: valid,
    grant: toGrant(valid),
    metadata: {
      version: version ?? 0,
      ...(updatedAt !== undefined ? { updatedAt } : {}),
      ...(updatedBy !== undefined ? { updatedBy } : {}),
      ...(managedBy !== undefined ? { managedBy } : {}),
    },
  };
}

/** Validates an array of grant records (the grants file and the local seed). Throws on the first bad one. */
export function parseGrantRecords(input: unknown): Grant[] {
  if (!Array.isArray(input)) throw new GrantRecordError('Grant records must be a JSON array.');
  return input.map((record, index) => parseGrantRecord(record, `grant record #${index}`));
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
    ...(record.callerLimit !== undefined
      ? {
          callerLimit: {
            ratePerSecond: record.callerLimit.ratePerSecond!,
            burst: record.callerLimit.burst!,
          },
        }
      : {}),
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
