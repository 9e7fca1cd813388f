import * as z from 'zod/mini';
import { MAX_REVOCATION_REASON_LENGTH, PRINCIPAL_PATTERN } from '../../contract';
import type { Revocation } from '../../core/model';
import { REVOCATION_SORT_KEY } from './grants-table';

/**
 * A revocation as the grants table holds it, under its principal with the sort key `#revocation`. Written
 * by the admin function only.
 */
export interface RevocationItem {
  readonly principal: string;
  readonly grantId: typeof REVOCATION_SORT_KEY;
  /** RFC 3339. */
  readonly revokedAt: string;
  /** The IAM principal (ARN) that revoked. */
  readonly revokedBy: string;
  readonly reason?: string;
  /** RFC 3339; absent: until lifted. */
  readonly until?: string;
  /** Epoch seconds: the table's TTL removes it some time after `until`. */
  readonly ttl?: number;
}

const revocationSchema = z.object({
  principal: z.string().check(z.regex(PRINCIPAL_PATTERN)),
  grantId: z.literal(REVOCATION_SORT_KEY),
  revokedAt: z.iso.datetime({ offset: true }),
  revokedBy: z.string(),
  reason: z.optional(z.string().check(z.maxLength(MAX_REVOCATION_REASON_LENGTH))),
  until: z.optional(z.iso.datetime({ offset: true })),
  ttl: z.optional(z.number()),
});

/**
 * The revocation an item says. An item that cannot be read still revokes, without an end: dropping it
 * could only give access back (`valid: false` lets the caller report it).
 */
export function parseRevocationItem(
  item: Readonly<Record<string, unknown>>,
  principal: string,
): { revocation: Revocation; valid: boolean } {
  const parsed = revocationSchema.safeParse(item);
  if (!parsed.success || parsed.data.principal !== principal) {
    return { revocation: { principal, revokedAt: 0 }, valid: false };
  }
  const { revokedAt, revokedBy, reason, until } = parsed.data;
  return {
    revocation: {
      principal,
      revokedAt: Date.parse(revokedAt),
      revokedBy,
      ...(reason !== undefined ? { reason } : {}),
      ...(until !== undefined ? { until: Date.parse(until) } : {}),
    },
    valid: true,
  };
}
