/**
 * What the admin API answers with: grants, revocations and sessions as JSON. Instants are RFC 3339 in UTC.
 */
import type { GrantEntry } from '../adapters/grants/grant-admin-store';
import type { RevocationItem } from '../adapters/grants/revocation-records';

/** A grant as the admin API shows it: its record, its version and who wrote it; or why it is unreadable. */
export function grantView(principal: string, entry: GrantEntry): Record<string, unknown> {
  if (!entry.valid) {
    return {
      principal,
      grantId: entry.grantId,
      version: entry.version,
      ...(entry.managedBy !== undefined ? { managedBy: entry.managedBy } : {}),
      // What the vend function makes of it: nothing. The details name fields, never values.
      invalid: entry.details,
    };
  }
  const { record, metadata } = entry.stored;
  const { principal: _principal, grantId: _grantId, ...allows } = record;
  return {
    principal,
    grantId: entry.grantId,
    ...allows,
    version: metadata.version,
    ...(metadata.updatedAt !== undefined ? { updatedAt: metadata.updatedAt } : {}),
    ...(metadata.updatedBy !== undefined ? { updatedBy: metadata.updatedBy } : {}),
    ...(metadata.managedBy !== undefined ? { managedBy: metadata.managedBy } : {}),
  };
}

/** A revocation as the admin API shows it, and whether it is still in force at `now`. */
export function revocationView(item: RevocationItem, now: number): Record<string, unknown> {
  const until = item.until === undefined ? undefined : Date.parse(item.until);
  return {
    principal: item.principal,
    revokedAt: item.revokedAt,
    revokedBy: item.revokedBy,
    ...(item.reason !== undefined ? { reason: item.reason } : {}),
    ...(item.until !== undefined ? { until: item.until } : {}),
    inForce: until === undefined || until > now,
  };
}

/** Epoch ms as RFC 3339 in UTC, without a fractional part when there is none. */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.000Z$/, 'Z');
}
