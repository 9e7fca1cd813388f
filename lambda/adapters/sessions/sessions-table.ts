/**
 * The layout of the sessions table, shared by the vend function (writes), the admin function (reads)
 * and the stack.
 *
 * - partition key `principal` (S): the caller (`user:<sub>`, `partner:<apiKeyId>`);
 * - sort key `sessionKey` (S): `<expiresAt, RFC 3339 in UTC with milliseconds>#<request id>`, so that the
 *   sessions still outstanding at `t` are those whose key sorts after `t`, and the last one is the latest
 *   to end;
 * - index `byStream` (`stream`, `sessionKey`) and index `byGrantPrincipal` (`grantPrincipal`,
 *   `sessionKey`): the sessions of a stream, and those a principal's grants allowed (a group's);
 * - `ttl` (N, epoch seconds): the table's TTL attribute, the session's end. DynamoDB removes expired items
 *   within days, so every read also asks for keys after now.
 */
export const SESSIONS_TABLE_KEY = { partitionKey: 'principal', sortKey: 'sessionKey' } as const;
export const SESSIONS_TABLE_TTL_ATTRIBUTE = 'ttl';
export const SESSIONS_BY_STREAM_INDEX = { name: 'byStream', partitionKey: 'stream' } as const;
export const SESSIONS_BY_GRANT_PRINCIPAL_INDEX = {
  name: 'byGrantPrincipal',
  partitionKey: 'grantPrincipal',
} as const;

/** User agents are the caller's free text: kept to this many characters. */
export const MAX_USER_AGENT_LENGTH = 512;

/** `2026-11-25T12:05:00.000Z`: fixed width, so keys sort as their instants do. */
export function sessionInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function sessionKeyOf(expiresAt: number, requestId: string): string {
  return `${sessionInstant(expiresAt)}#${requestId}`;
}

/**
 * The lowest key of a session still outstanding at `now`: request ids hold no character above `~`, so a
 * session that ends exactly at `now` sorts below it.
 */
export function outstandingAfter(now: number): string {
  return `${sessionInstant(now)}#~`;
}
