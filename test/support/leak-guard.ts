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
  /** Everything written while the guard ran, one entry per write (empty unless it retains). */
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

/**
 * Shapes that are a leak whoever they belong to: a KVS session token parameter, a compact JWS with JSON
 * header and payload, and an AWS access key id. They catch secrets the guard was never told about.
 */
const LEAK_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/SessionToken=/, 'session token parameter'],
  [/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/, 'JWT-shaped string'],
  // Long-term (AKIA) and temporary (ASIA) AWS access key ids.
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, 'AWS access key id'],
];
/** Findings kept at most in streaming mode. */
const MAX_FINDINGS = 20;

export interface LeakGuardOptions {
  /** Also pass writes through to the real stdout/stderr. */
  echo?: boolean;
  /**
   * Keep every write and answer, scanned when asked (default). `false` scans each one as it arrives,
   * against the secrets known then and the leak patterns, and keeps only findings: memory stays flat
   * in a soak of any length.
   */
  retain?: boolean;
}

export function startLeakGuard(options: LeakGuardOptions = {}): LeakGuard {
  const retain = options.retain ?? true;
  const secrets = new Map<string, string>();
  const written: string[] = [];
  const scanned: { where: string; text: string }[] = [];
  const findings: Leak[] = [];

  const scan = (where: string, text: string, into: Leak[]): void => {
    for (const [form, label] of secrets) {
      const index = text.indexOf(form);
      if (index >= 0) into.push({ secret: label, where, excerpt: redact(text, index, form.length) });
    }
    for (const [pattern, label] of LEAK_PATTERNS) {
      const match = pattern.exec(text);
      if (match) into.push({ secret: label, where, excerpt: redact(text, match.index, match[0].length) });
    }
  };
  const record = (where: string, text: string): void => {
    if (retain) {
      if (where === 'log output') written.push(text);
      else scanned.push({ where, text });
    } else if (findings.length < MAX_FINDINGS) {
      scan(where, text, findings);
    }
  };

  const capture =
    (original: Write): Write =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      record(
        'log output',
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
      );
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
      record('log output', args.map((arg) => (typeof arg === 'string' ? arg : safeStringify(arg))).join(' '));
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
      record(`headers of a ${response.status}`, headerText(response.headers));
      if (response.status < 200 || response.status >= 300) {
        record(`body of a ${response.status}`, response.body);
      }
    },
    lines: () => written,
    leaks() {
      const found: Leak[] = [...findings];
      for (const text of written) scan('log output', text, found);
      for (const { where, text } of scanned) scan(where, text, found);
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
