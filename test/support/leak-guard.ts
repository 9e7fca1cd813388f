/**
 * Catches secrets where they must never show up: log lines (anything written to stdout/stderr or the
 * console), error bodies and response headers. A test registers what it saw (session URLs and their
 * tokens, JWTs it sent, AWS credentials), feeds the guard its HTTP answers, and asserts at the end.
 *
 * Writes are swallowed while the guard runs, so a test can log at DEBUG without flooding the runner;
 * `lines()` keeps them for assertions.
 */

/** Shorter values would match ordinary text; a guarded secret has to be distinctive. */
const MIN_SECRET_LENGTH = 12;

export interface ObservedResponse {
  readonly status: number;
  /** Fetch `Headers`, a node `IncomingHttpHeaders` or a plain record. */
  readonly headers: Headers | Readonly<Record<string, string | string[] | number | undefined>>;
  /** Raw body text; scanned only when the status is not 2xx (a 2xx vend body carries its URL by design). */
  readonly body: string;
}

export interface Leak {
  readonly secret: string;
  readonly where: string;
  readonly excerpt: string;
}

export interface LeakGuard {
  /** Registers a secret and the forms in which it could leak (URL-encoded, JSON-escaped). */
  secret(value: string | undefined, label?: string): void;
  /** A JWT: the whole token and its signature on its own. */
  jwt(token: string): void;
  /** A vended session URL: the URL and the value of its `SessionToken` parameter. */
  sessionUrl(url: string): void;
  /** Records an HTTP answer to scan: headers always, the body unless it is a 2xx. */
  response(response: ObservedResponse): void;
  /** Everything written while the guard ran, one entry per write. */
  lines(): readonly string[];
  /** Every secret found anywhere it was scanned. */
  leaks(): readonly Leak[];
  /** Throws, naming where (never the secret itself), when a secret leaked. */
  assertNoLeaks(): void;
  /** Restores stdout, stderr and the console. Idempotent. */
  stop(): void;
  readonly secretCount: number;
}

type Write = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

function headerText(headers: ObservedResponse['headers']): string {
  const entries: string[] = [];
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, name) => entries.push(`${name}: ${value}`));
  } else {
    const record = headers as Readonly<Record<string, string | string[] | number | undefined>>;
    for (const [name, value] of Object.entries(record)) {
      if (value !== undefined) {
        entries.push(`${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
      }
    }
  }
  return entries.join('\n');
}

function variants(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  try {
    forms.add(decodeURIComponent(value));
  } catch {
    // Not percent-encoded text: the other forms cover it.
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

export function startLeakGuard(options: { echo?: boolean } = {}): LeakGuard {
  const secrets = new Map<string, string>();
  const written: string[] = [];
  const scanned: { where: string; text: string }[] = [];

  const capture =
    (original: Write): Write =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (options.echo) return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };

  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  process.stdout.write = capture(stdoutWrite.bind(process.stdout));
  process.stderr.write = capture(stderrWrite.bind(process.stderr));
  const consoleOriginals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]): void => {
      written.push(args.map((arg) => (typeof arg === 'string' ? arg : safeStringify(arg))).join(' '));
    };
  }
  let stopped = false;

  const guard: LeakGuard = {
    secret(value, label = 'secret') {
      if (value === undefined) return;
      if (value.length < MIN_SECRET_LENGTH) {
        throw new Error(`leak guard: a ${label} of ${value.length} characters is too short to look for`);
      }
      for (const form of variants(value)) secrets.set(form, label);
    },
    jwt(token) {
      guard.secret(token, 'JWT');
      const signature = token.split('.')[2];
      if (signature && signature.length >= MIN_SECRET_LENGTH) guard.secret(signature, 'JWT signature');
    },
    sessionUrl(url) {
      guard.secret(url, 'session URL');
      const token = new URL(url).searchParams.get('SessionToken');
      if (token) guard.secret(token, 'session token');
    },
    response(response) {
      scanned.push({ where: `headers of a ${response.status}`, text: headerText(response.headers) });
      if (response.status < 200 || response.status >= 300) {
        scanned.push({ where: `body of a ${response.status}`, text: response.body });
      }
    },
    lines: () => written,
    leaks() {
      const found: Leak[] = [];
      const places = [...written.map((text) => ({ where: 'log output', text })), ...scanned];
      for (const { where, text } of places) {
        for (const [form, label] of secrets) {
          const index = text.indexOf(form);
          if (index >= 0) {
            found.push({ secret: label, where, excerpt: redact(text, index, form.length) });
          }
        }
      }
      return found;
    },
    assertNoLeaks() {
      const found = guard.leaks();
      if (found.length > 0) {
        const summary = found
          .slice(0, 5)
          .map((leak) => `${leak.secret} in ${leak.where}: …${leak.excerpt}…`)
          .join('\n');
        throw new Error(`${found.length} secret(s) leaked:\n${summary}`);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      for (const [method, original] of consoleOriginals) console[method] = original;
    },
    get secretCount() {
      return secrets.size;
    },
  };
  return guard;
}

/** Context around a finding, with the secret itself masked so the failure message does not leak it. */
function redact(text: string, index: number, length: number): string {
  const before = text.slice(Math.max(0, index - 40), index);
  const after = text.slice(index + length, index + length + 40);
  return `${before}[REDACTED ${length} chars]${after}`.replace(/\s+/g, ' ');
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
