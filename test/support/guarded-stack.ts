import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { loadOrCreateSigningKey, type SigningKey } from '../../local/identity/signing-key';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/start';
import { startLeakGuard, type LeakGuard, type LeakGuardOptions } from './leak-guard';

/** Distinctive on purpose: the leak guard looks for them in every log line and answer. */
const GUARDED_AWS_CREDENTIALS = {
  accessKeyId: 'AKIAGUARDEDSTACK0001',
  secretAccessKey: 'guarded-stack-secret-access-key-9f8e7d6c5b4a',
} as const;

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as given: no normalisation of `..`, no re-encoding. */
  path: string;
  /** Pairs, so a header may repeat. */
  headers?: readonly (readonly [string, string])[];
  body?: Buffer | string;
  /** A bearer token; none when undefined (callers pass tokens they may not have). */
  token?: string | undefined;
  apiKey?: string | undefined;
  /** A JSON value sent as `application/json`. */
  json?: unknown;
}

export interface GuardedStack {
  stack: LocalStack;
  guard: LeakGuard;
  signingKey: SigningKey;
  /** A token of the local issuer with exactly these claims on top of iss/aud/iat/exp (no validation). */
  signClaims(claims: Record<string, unknown>): string;
  /** A token as `npm run token` mints it. */
  token(sub: string, groups?: string[]): string;
  send(request: RawRequest): Promise<RawAnswer>;
  /** Writes a grants or streams file into the stack's scratch directory and returns its path. */
  scratchFile(name: string, content: unknown): string;
  stop(): Promise<void>;
}

/**
 * The whole local stack (emulator, dynalite, identity provider, API adapter, real handler module) on free
 * ports, with the leak guard capturing every log line from before the handler loads, logs at DEBUG, and
 * distinctive AWS credentials the guard knows. Every answer `send` gets is given to the guard; every
 * token it sends and every session URL it receives is registered as a secret.
 */
export async function startGuardedStack(
  options: Omit<LocalStackOptions, 'ports' | 'stateDir'> & {
    /** Extra setup with the scratch directory before the stack starts (grants and streams files). */
    prepare?: (scratchFile: (name: string, content: unknown) => string) => Partial<LocalStackOptions>;
    guard?: LeakGuardOptions;
  } = {},
): Promise<GuardedStack> {
  const scratch = mkdtempSync(join(tmpdir(), 'kvs-guarded-'));
  const scratchFile = (name: string, content: unknown): string => {
    const path = join(scratch, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const guard = startLeakGuard(options.guard);
  guard.secret(GUARDED_AWS_CREDENTIALS.accessKeyId, 'AWS access key id');
  guard.secret(GUARDED_AWS_CREDENTIALS.secretAccessKey, 'AWS secret access key');
  const { prepare, guard: _guardOptions, ...stackOptions } = options;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ...stackOptions,
      ...prepare?.(scratchFile),
      ports: 0,
      stateDir: scratch,
      env: {
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        AWS_ACCESS_KEY_ID: GUARDED_AWS_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: GUARDED_AWS_CREDENTIALS.secretAccessKey,
        ...stackOptions.env,
      },
      emulator: { credentials: { ...GUARDED_AWS_CREDENTIALS }, ...stackOptions.emulator },
    });
  } catch (error) {
    guard.stop();
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  const signingKey = loadOrCreateSigningKey(scratch);
  const apiUrl = new URL(stack.apiUrl);
  for (const partner of stack.partners) guard.secret(partner.apiKey, 'partner API key');

  const send = (request: RawRequest): Promise<RawAnswer> => {
    const headers: [string, string][] = [...(request.headers ?? [])].map(([name, value]) => [name, value]);
    if (request.token !== undefined) {
      headers.push(['authorization', `Bearer ${request.token}`]);
      // Only real tokens are secrets; fuzzed garbage may be short enough to match ordinary text.
      if (/^[\w-]{4,}\.[\w-]{4,}\.[\w-]{12,}$/.test(request.token)) guard.jwt(request.token);
    }
    if (request.apiKey !== undefined) headers.push(['x-api-key', request.apiKey]);
    let body = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) {
        headers.push(['content-type', 'application/json']);
      }
    }
    if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['host', apiUrl.host]);
    if (body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-length')) {
      headers.push(['content-length', String(Buffer.byteLength(body))]);
    }
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: apiUrl.hostname,
          port: apiUrl.port,
          method: request.method ?? (body === undefined ? 'GET' : 'POST'),
          path: request.path,
          headers: headers.flat(),
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            const status = response.statusCode ?? 0;
            const url = (json as { url?: unknown } | undefined)?.url;
            if (status === 200 && typeof url === 'string') guard.sessionUrl(url);
            guard.response({ status, headers: response.headers, body: text });
            resolve({ status, headers: response.headers, text, json });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };

  return {
    stack,
    guard,
    signingKey,
    signClaims(claims) {
      const now = Math.floor(Date.now() / 1000);
      return jwt.sign(
        { iss: stack.issuer, aud: stack.audience, iat: now, exp: now + 600, ...claims },
        signingKey.privateKey,
        { algorithm: 'ES256', keyid: signingKey.kid },
      );
    },
    token: (sub, groups) => stack.mintToken({ sub, ...(groups ? { groups } : {}) }),
    send,
    scratchFile,
    async stop() {
      try {
        await stack.stop();
      } finally {
        guard.stop();
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

/** The error shape of the contract, or API Gateway's own `{"message"}` for gateway-level answers. */
export function isErrorShape(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const body = json as { error?: Record<string, unknown>; message?: unknown };
  if (body.error !== undefined) {
    return (
      typeof body.error.code === 'string' &&
      typeof body.error.message === 'string' &&
      typeof body.error.requestId === 'string'
    );
  }
  return typeof body.message === 'string' && Object.keys(body).length === 1;
}
