import { readFileSync } from 'node:fs';
import {
  ADMIN_PREFIX,
  GRANT_VERSION_HEADERS,
  PRINCIPAL_PATTERN,
  SESSIONS_PAGE_SIZE,
} from '../../lambda/contract';
import {
  escapeControls,
  formatGrant,
  formatGrantList,
  formatRevocation,
  formatSessions,
  jsonForTerminal,
} from './format';
import type { ApiResponse, SignedFetch } from './signed-fetch';

/** A failure of a command: one line for people, and the exit status. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** A command line that is not one of the commands, or lacks what its command needs: exit 2. */
export class UsageError extends CommandError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export interface CommandContext {
  readonly fetch: SignedFetch;
  readonly json: boolean;
  /** The text of `-` (standard input). */
  readonly readStdin: () => string;
  readonly out: (text: string) => void;
}

export interface ParsedCommand {
  readonly name: string;
  readonly positionals: readonly string[];
  readonly options: {
    readonly reason?: string;
    readonly until?: string;
    readonly stream?: string;
    readonly principal?: string;
  };
}

const path = {
  grants: (principal: string) => `${ADMIN_PREFIX}/principals/${encodeURIComponent(principal)}/grants`,
  grant: (principal: string, grantId: string) =>
    `${ADMIN_PREFIX}/principals/${encodeURIComponent(principal)}/grants/${encodeURIComponent(grantId)}`,
  revocation: (principal: string) => `${ADMIN_PREFIX}/principals/${encodeURIComponent(principal)}/revocation`,
  sessions: `${ADMIN_PREFIX}/sessions`,
};

function principalArgument(value: string | undefined): string {
  if (value === undefined)
    throw new UsageError('a principal is required (user:<sub>, group:<name> or partner:<apiKeyId>)');
  if (!PRINCIPAL_PATTERN.test(value)) {
    throw new UsageError(`${value} is no principal: use user:<sub>, group:<name> or partner:<apiKeyId>`);
  }
  return value;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required`);
  return value;
}

interface ErrorBody {
  readonly error?: {
    readonly code?: string;
    readonly message?: string;
    readonly details?: readonly { field?: string; issue?: string }[];
  };
  readonly message?: string;
}

/** An answer that is not a success, as one line: the service's code and message, and its details. */
function failure(
  response: ApiResponse,
  hint?: (code: string | undefined) => string | undefined,
): CommandError {
  const body = (response.body ?? {}) as ErrorBody;
  const code = body.error?.code;
  const message = body.error?.message ?? body.message ?? 'no message';
  const details = (body.error?.details ?? [])
    .map((detail) => `${detail.field ?? '?'}: ${detail.issue ?? '?'}`)
    .join('; ');
  const extra = hint?.(code);
  // What the API said, escaped: the terminal shows it, never acts on it.
  return new CommandError(
    escapeControls(
      `${response.status}${code ? ` ${code}` : ''}: ${message}${details ? ` (${details})` : ''}${extra ? ` ${extra}` : ''}`,
    ),
  );
}

const READ_ONLY_FIELDS = ['updatedAt', 'updatedBy', 'managedBy'];

/**
 * What `grant put` sends: the file's grant record without its key and metadata, the grantId for the path,
 * and the precondition (the file's `version`: replace exactly that one; none: create a new grant).
 */
export function grantFromFile(
  principal: string,
  text: string,
): { grantId: string; record: Record<string, unknown>; version?: number } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CommandError('the grant is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CommandError('the grant must be one JSON object (a grant record without principal)');
  }
  const { grantId, principal: filePrincipal, version, invalid, ...rest } = data as Record<string, unknown>;
  if (invalid !== undefined) {
    throw new CommandError('this grant was read with problems (invalid): fix its fields and drop "invalid"');
  }
  if (filePrincipal !== undefined && filePrincipal !== principal) {
    throw new CommandError(`the grant names principal ${JSON.stringify(filePrincipal)}, not ${principal}`);
  }
  if (typeof grantId !== 'string' || grantId === '') {
    throw new CommandError('the grant needs a grantId (it names the grant within its principal)');
  }
  if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version >= 0)) {
    throw new CommandError('version must be the whole number grant get shows');
  }
  const record = Object.fromEntries(
    Object.entries(rest).filter(([name]) => !READ_ONLY_FIELDS.includes(name)),
  );
  return { grantId, record, ...(typeof version === 'number' ? { version } : {}) };
}

/** Runs one command against the API. */
export async function runCommand(command: ParsedCommand, context: CommandContext): Promise<void> {
  const { fetch, json, out } = context;
  const [first, second] = command.positionals;
  const print = (value: unknown, text: () => string): void => out(json ? jsonForTerminal(value) : text());

  switch (command.name) {
    case 'grant put': {
      const principal = principalArgument(first);
      const source = required(second, 'a grant file (or - for standard input)');
      let text: string;
      try {
        text = source === '-' ? context.readStdin() : readFileSync(source, 'utf8');
      } catch (error) {
        throw new CommandError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const grant = grantFromFile(principal, text);
      const response = await fetch('PUT', path.grant(principal, grant.grantId), {
        body: grant.record,
        headers:
          grant.version === undefined
            ? { [GRANT_VERSION_HEADERS.ifNoneMatch]: '*' }
            : { [GRANT_VERSION_HEADERS.ifMatch]: `"${grant.version}"` },
      });
      if (response.status !== 200 && response.status !== 201) {
        throw failure(response, (code) => {
          if (code !== 'PRECONDITION_FAILED') return undefined;
          const current = response.headers.get(GRANT_VERSION_HEADERS.etag)?.replace(/"/g, '');
          return grant.version === undefined
            ? `To replace it, put the grant with "version": ${current ?? '<its version>'} (grant get shows it).`
            : 'Someone changed it meanwhile: grant get it again, and put your change on top.';
        });
      }
      const view = response.body as Record<string, unknown>;
      print(view, () =>
        escapeControls(
          `${response.status === 201 ? 'Created' : 'Replaced'} grant ${grant.grantId} of ${principal} (now version ${String(view.version)}).`,
        ),
      );
      return;
    }

    case 'grant get': {
      const principal = principalArgument(first);
      const grantId = required(second, 'a grantId');
      const response = await fetch('GET', path.grant(principal, grantId));
      if (response.status !== 200) throw failure(response);
      print(response.body, () => formatGrant(response.body as Record<string, unknown>));
      return;
    }

    case 'grant list': {
      const principal = principalArgument(first);
      const response = await fetch('GET', path.grants(principal));
      if (response.status !== 200) throw failure(response);
      print(response.body, () => formatGrantList(response.body as Record<string, unknown>));
      return;
    }

    case 'grant delete': {
      const principal = principalArgument(first);
      const grantId = required(second, 'a grantId');
      // Delete what was read just now: a change made meanwhile is refused (412), not silently lost.
      const current = await fetch('GET', path.grant(principal, grantId));
      if (current.status !== 200) throw failure(current);
      const etag = current.headers.get(GRANT_VERSION_HEADERS.etag);
      const response = await fetch('DELETE', path.grant(principal, grantId), {
        headers: etag ? { [GRANT_VERSION_HEADERS.ifMatch]: etag } : {},
      });
      if (response.status !== 200) throw failure(response);
      const deleted = (response.body as { deleted: Record<string, unknown> }).deleted;
      print(response.body, () =>
        escapeControls(
          `Deleted grant ${grantId} of ${principal} (it was version ${String(deleted.version)}).`,
        ),
      );
      return;
    }

    case 'revoke': {
      const principal = principalArgument(first);
      const until = command.options.until;
      if (until !== undefined && Number.isNaN(Date.parse(until))) {
        throw new UsageError('--until must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z');
      }
      const response = await fetch('PUT', path.revocation(principal), {
        body: {
          ...(command.options.reason !== undefined ? { reason: command.options.reason } : {}),
          ...(until !== undefined ? { until } : {}),
        },
      });
      if (response.status !== 200) throw failure(response);
      print(response.body, () => formatRevocation(response.body as Record<string, unknown>));
      return;
    }

    case 'unrevoke': {
      const principal = principalArgument(first);
      const response = await fetch('DELETE', path.revocation(principal));
      if (response.status !== 200) throw failure(response);
      print(
        response.body,
        () => `Lifted the revocation of ${principal}: its grants count again from its next request.`,
      );
      return;
    }

    case 'sessions': {
      const { stream, principal } = command.options;
      if ((stream === undefined) === (principal === undefined)) {
        throw new UsageError('give exactly one of --stream NAME and --principal P');
      }
      const query: Record<string, string> = stream !== undefined ? { stream } : { principal: principal! };
      const sessions: unknown[] = [];
      let nextToken: string | undefined;
      do {
        const response = await fetch('GET', path.sessions, {
          query: { ...query, limit: String(SESSIONS_PAGE_SIZE.max), ...(nextToken ? { nextToken } : {}) },
        });
        if (response.status !== 200) throw failure(response);
        const page = response.body as { sessions: unknown[]; nextToken?: string };
        sessions.push(...page.sessions);
        nextToken = page.nextToken;
      } while (nextToken);
      print({ sessions }, () => formatSessions(sessions as Record<string, string>[]));
      return;
    }

    default:
      throw new UsageError(`unknown command ${command.name}`);
  }
}
