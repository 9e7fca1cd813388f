/**
 * The layout of the grants table, shared by the function that reads it, the admin function that writes
 * it and the stack that grants their access.
 *
 * - partition key `principal` (S), sort key `grantId` (S): one item per grant (`grant-records.ts`);
 * - under a principal, the sort key `#revocation` holds its revocation (`revocation-records.ts`), so the
 *   one Query that loads a principal's grants also sees whether it is revoked;
 * - the item `#control` / `#control` holds `epoch` (N), incremented by the admin function after every
 *   change of a grant or a revocation: every vend reads it (one GetItem) and drops its cached grants when
 *   it moved, so a change reaches every instance from the next request;
 * - the same item holds `grantVersion` (N), the counter the admin function draws every grant's next version
 *   from (`ADD 1`): versions are unique across the table, so a grant deleted and created again never gets a
 *   version it had before, and an If-Match read before the delete fails;
 * - `ttl` (N, epoch seconds): the table's TTL attribute, set on revocations that end (`until`).
 *
 * Grant ids starting with `#` (RESERVED_GRANT_ID_PREFIX of the contract) are the service's own.
 */
export const GRANTS_TABLE_KEY = { partitionKey: 'principal', sortKey: 'grantId' } as const;
export const GRANTS_TABLE_TTL_ATTRIBUTE = 'ttl';
export const REVOCATION_SORT_KEY = '#revocation';
export const CONTROL_ITEM_KEY = { principal: '#control', grantId: '#control' } as const;
export const CONTROL_EPOCH_ATTRIBUTE = 'epoch';
export const CONTROL_GRANT_VERSION_ATTRIBUTE = 'grantVersion';
