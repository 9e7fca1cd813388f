/**
 * The admin API beyond its routes and bodies: how a grant's version travels, and how sessions are paged.
 */

/**
 * A grant's version travels as an HTTP entity tag (`ETag: "3"`): `If-Match: "3"` replaces or deletes
 * exactly that version, `If-None-Match: *` creates a grant that must not exist yet. A grant written
 * without the admin API (no version attribute) is version 0.
 */
export const GRANT_VERSION_HEADERS = {
  etag: 'ETag',
  ifMatch: 'If-Match',
  ifNoneMatch: 'If-None-Match',
} as const;

/** `GET /admin/v1/sessions?limit=`: sessions per page, and the most a page may hold. */
export const SESSIONS_PAGE_SIZE = { default: 100, max: 1000 } as const;

/** What `managedBy` says of a grant the stack writes (a partner grant of `cdk.json`). */
export const STACK_MANAGED = 'stack';
