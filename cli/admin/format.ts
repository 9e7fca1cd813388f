/** The admin CLI's output for people: tables and sentences. Scripts use --json instead. */

/** C0 and C1 controls and DEL: a terminal acts on them (ANSI escapes, new lines) rather than showing them. */
const CONTROLS = /\p{Cc}/gu;
const escapeControl = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text from the API as the terminal shows it: every control character escaped (`\u001b`), so one line. */
export function escapeControls(value: string): string {
  return value.replace(CONTROLS, escapeControl);
}

/**
 * A value as JSON for the terminal: JSON.stringify escapes C0 controls but writes DEL and C1 controls as
 * they are; these are escaped too (`\u0085`), so the JSON parses to the same value.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f]/g, escapeControl);
}

/** Rows as an aligned table under a header (empty cells as `-`). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => (cell === '' ? '-' : escapeControls(cell))));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const text = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(text).join(',');
  if (typeof value === 'string') return escapeControls(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

function callerLimit(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const limit = value as { ratePerSecond?: unknown; burst?: unknown };
  return `${text(limit.ratePerSecond)}/s burst ${text(limit.burst)}`;
}

/** One grant, field by field. */
export function formatGrant(grant: Record<string, unknown>): string {
  const rows: [string, string][] = [
    ['principal', text(grant.principal)],
    ['grantId', text(grant.grantId)],
  ];
  if (Array.isArray(grant.invalid)) {
    rows.push([
      'invalid',
      (grant.invalid as { field?: string; issue?: string }[])
        .map((detail) => `${text(detail.field ?? '?')}: ${text(detail.issue ?? '?')}`)
        .join('; '),
    ]);
  } else {
    rows.push(
      ['streams', text(grant.streams)],
      // Absent: PLAY only (the row is left out).
      ['capabilities', text(grant.capabilities)],
      ['playbackModes', text(grant.playbackModes)],
      ['protocols', text(grant.protocols)],
      ['maxExpiresInSeconds', text(grant.maxExpiresInSeconds)],
      ['archiveWindowSeconds', text(grant.archiveWindowSeconds)],
      ['notAfter', text(grant.notAfter)],
      ['callerLimit', callerLimit(grant.callerLimit)],
      ['producerTimestamps', text(grant.producerTimestamps)],
    );
  }
  rows.push(
    ['version', text(grant.version)],
    ['updatedAt', text(grant.updatedAt)],
    ['updatedBy', text(grant.updatedBy)],
    ['managedBy', text(grant.managedBy)],
  );
  return rows
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name.padEnd(21)}${value}`)
    .join('\n');
}

/** A principal's grants as a table, and its revocation if it has one. */
export function formatGrantList(list: Record<string, unknown>): string {
  const grants = (list.grants ?? []) as Record<string, unknown>[];
  const lines: string[] = [];
  const revocation = list.revocation as Record<string, unknown> | null | undefined;
  if (revocation) {
    lines.push(
      `${text(list.principal)} is revoked${revocation.inForce === false ? ' (ended)' : ''} since ${text(revocation.revokedAt)}` +
        `${revocation.until ? ` until ${text(revocation.until)}` : ''}${revocation.reason ? `: ${text(revocation.reason)}` : ''}`,
    );
  }
  if (grants.length === 0) {
    lines.push(`${text(list.principal)} has no grants.`);
    return lines.join('\n');
  }
  lines.push(
    table(
      ['GRANT ID', 'STREAMS', 'MODES', 'PROTOCOLS', 'MAX EXPIRY', 'NOT AFTER', 'VERSION', 'NOTE'],
      grants.map((grant) => [
        text(grant.grantId),
        text(grant.streams),
        text(grant.playbackModes),
        text(grant.protocols),
        grant.maxExpiresInSeconds === undefined ? '' : `${text(grant.maxExpiresInSeconds)} s`,
        text(grant.notAfter),
        text(grant.version),
        Array.isArray(grant.invalid)
          ? 'invalid: the function ignores it (grant get shows why)'
          : grant.managedBy === 'stack'
            ? "the stack's (cdk.json)"
            : '',
      ]),
    ),
  );
  return lines.join('\n');
}

/** What a revocation did, and when the sessions minted before it end. */
export function formatRevocation(answer: Record<string, unknown>): string {
  const revocation = (answer.revocation ?? {}) as Record<string, unknown>;
  const outstanding = Number(answer.outstandingSessions ?? 0);
  const principal = text(revocation.principal);
  // A group's revocation takes its grants away; its members still hold their own and other groups' grants.
  const effect = principal.startsWith('group:')
    ? "its grants allow nothing from now on; its members keep their own grants and other groups' grants."
    : 'every vend and list is refused from now on.';
  return [
    `Revoked ${principal}${revocation.until ? ` until ${text(revocation.until)}` : ''}: ${effect}`,
    outstanding === 0
      ? 'No session of it is outstanding.'
      : `${outstanding} session(s) minted before are still outstanding; a KVS session URL cannot be revoked, the last ends at ${text(answer.sessionsEndBy)}.`,
  ].join('\n');
}

/** Outstanding sessions as a table. */
export function formatSessions(sessions: readonly Record<string, string>[]): string {
  if (sessions.length === 0) return 'No outstanding sessions.';
  return table(
    ['PRINCIPAL', 'STREAM', 'PROTOCOL', 'MODE', 'EXPIRES AT', 'GRANTED TO', 'SOURCE IP', 'REQUEST ID'],
    sessions.map((session) => [
      session.principal ?? '',
      session.stream ?? '',
      session.protocol ?? '',
      session.playbackMode ?? '',
      session.expiresAt ?? '',
      session.grantPrincipal ?? '',
      session.sourceIp ?? '',
      session.requestId ?? '',
    ]),
  );
}
