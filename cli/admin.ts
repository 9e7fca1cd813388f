/**
 * `npm run admin -- <command>`: the operator's side of the admin API (README, "Operating it"), signed with
 * AWS Signature Version 4 from the default AWS credential chain, against the local stack or a deployment.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CommandError, runCommand, UsageError, type ParsedCommand } from './admin/commands';
import { regionOf, signedFetch } from './admin/signed-fetch';

export const USAGE = `Usage: npm run -s admin -- <command> [options]

  grant put <principal> <file.json | ->     create or replace a grant (a grant record without principal;
                                            with "version": N it replaces exactly that version)
  grant get <principal> <grantId>
  grant list <principal>
  grant delete <principal> <grantId>
  revoke <principal> [--reason TEXT] [--until RFC3339]
  unrevoke <principal>
  sessions (--stream NAME | --principal P)

  --api URL   the API (a deployment's ApiUrl output); default the local stack, http://127.0.0.1:$API_PORT
  --json      the API's answer as JSON, for scripts

Principals: user:<sub>, group:<name>, partner:<apiKeyId>. Requests are signed with the default AWS
credential chain; against the local stack without AWS_ACCESS_KEY_ID set, with its credentials local/local.
`;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const COMMANDS = ['grant put', 'grant get', 'grant list', 'grant delete', 'revoke', 'unrevoke', 'sessions'];

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readStdin: () => string;
}

/** Runs the CLI; resolves to its exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        api: { type: 'string' },
        json: { type: 'boolean', default: false },
        reason: { type: 'string' },
        until: { type: 'string' },
        stream: { type: 'string' },
        principal: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`admin: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  const name = positionals[0] === 'grant' ? `grant ${positionals[1] ?? ''}` : positionals[0]!;
  if (!COMMANDS.includes(name)) {
    io.err(`admin: unknown command "${name.trim()}"\n${USAGE}`);
    return 2;
  }
  const rest = positionals.slice(name.startsWith('grant ') ? 2 : 1);

  let api: URL;
  try {
    api = new URL(values.api ?? `http://127.0.0.1:${io.env.API_PORT ?? '3000'}`);
    if (api.protocol !== 'https:' && api.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    io.err('admin: --api must be an http(s) URL, such as the ApiUrl output of a deployment\n');
    return 2;
  }
  // The local stack (the default, or any API on this machine) knows one credential, local/local: use it
  // unless the environment names another.
  const local = values.api === undefined || LOOPBACK_HOSTS.has(api.hostname);
  const credentials =
    local && io.env.AWS_ACCESS_KEY_ID === undefined
      ? { accessKeyId: 'local', secretAccessKey: 'local' }
      : undefined;

  const command: ParsedCommand = {
    name,
    positionals: rest,
    options: {
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.until !== undefined ? { until: values.until } : {}),
      ...(values.stream !== undefined ? { stream: values.stream } : {}),
      ...(values.principal !== undefined ? { principal: values.principal } : {}),
    },
  };
  try {
    await runCommand(command, {
      fetch: signedFetch({ api, region: regionOf(api, io.env), ...(credentials ? { credentials } : {}) }),
      json: values.json,
      readStdin: io.readStdin,
      out: (text) => io.out(`${text}\n`),
    });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`admin: ${error.message}\n${USAGE}`);
      return error.exitCode;
    }
    if (error instanceof CommandError) {
      io.err(`admin: ${error.message}\n`);
      return error.exitCode;
    }
    // Credentials not found, the API unreachable, ...: one line, never a stack trace.
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    io.err(`admin: ${(error as Error).message}${cause ? ` (${cause})` : ''}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readStdin: () => readFileSync(0, 'utf8'),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`admin: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
