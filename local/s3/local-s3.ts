/**
 * An S3-compatible server for the local stack: s3rver (a well-used S3 emulator with a filesystem store)
 * behind a front that checks every request's AWS Signature Version 4 as S3 does. s3rver itself accepts
 * any signature, so on its own a tampered or forged presigned URL would download the object; here it is
 * refused with S3's 403 and error document, and an expired one too. s3rver listens on a Unix socket in a
 * private temporary folder, so nothing reaches it but the front.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import {
  createServer,
  request as forwardRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import S3rver from 's3rver';
import { DEFAULT_STATE_DIR } from '../identity/signing-key';
import { close, listen } from '../listen';
import { decodeAwsChunked } from './aws-chunked';
import { newRequestIds, S3Error, sendS3Error } from './s3-error';
import {
  PRESIGN_PARAMS,
  verifyHeaderSignature,
  verifyPresignedRequest,
  type S3Credentials,
} from './s3-signature';

export type { S3Credentials } from './s3-signature';

export const LOCAL_S3_CREDENTIALS: S3Credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Objects live here between runs (inside the git-ignored `.local/`). */
export const DEFAULT_S3_DIR = join(DEFAULT_STATE_DIR, 's3');
export const DEFAULT_S3_BUCKET = 'kvs-url-vending-clips';
const DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024;

export interface LocalS3Options {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Folder of the object store; created when absent, kept on stop. Default `<repo>/.local/s3`. */
  dir?: string;
  /** Created at start when it does not exist yet. Default `kvs-url-vending-clips`. */
  bucket?: string;
  /** The region signatures must be scoped to. Default us-east-1. */
  region?: string;
  /** The only credentials whose signatures pass. Default local / local. */
  credentials?: S3Credentials;
  /**
   * Origins whose pages may read objects (GET, HEAD) cross-origin, e.g. the demo page's
   * `http://127.0.0.1:3000`; `'*'` for any. Default none.
   */
  corsOrigins?: readonly string[];
  /** Epoch ms, for URL expiry and clock skew. Default Date.now. */
  now?: () => number;
  /** Largest request body accepted (S3: EntityTooLarge). Default 512 MiB. */
  maxObjectBytes?: number;
}

/** What an `S3Client` needs to talk to the local server: `new S3Client(localS3.clientConfig)`. */
export interface LocalS3ClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: S3Credentials;
  /** Buckets in the path (`/bucket/key`): `<bucket>.127.0.0.1` is no host name. */
  readonly forcePathStyle: true;
}

export interface LocalS3 {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: S3Credentials;
  readonly clientConfig: LocalS3ClientConfig;
  stop(): Promise<void>;
}

interface FrontConfig {
  readonly socketPath: string;
  readonly region: string;
  readonly credentials: S3Credentials;
  readonly corsOrigins: readonly string[];
  readonly now: () => number;
  readonly maxObjectBytes: number;
}

const BUCKET_NAME = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const READ_METHODS = ['GET', 'HEAD'];
const EXPOSED_HEADERS = [
  'Content-Length',
  'Content-Type',
  'Content-Disposition',
  'ETag',
  'Last-Modified',
  'Accept-Ranges',
  'Content-Range',
  'x-amz-request-id',
].join(', ');
/** Request headers that describe the hop or the caller's signature, not the object. */
const NOT_FORWARDED = new Set([
  'authorization',
  'connection',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-amz-decoded-content-length',
  'x-amz-security-token',
  'x-amz-trailer',
]);
const NOT_RETURNED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'x-amz-request-id',
  'x-amz-id-2',
]);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

interface Target {
  /** As sent: percent-encoded. */
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  /** The query for s3rver: the object's parameters (response-*, x-id, ...) without the signature's. */
  readonly forwardedQuery: string;
}

function parseTarget(url: string): Target {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const rawQuery = mark < 0 ? '' : url.slice(mark + 1);
  const query: Record<string, string | string[]> = {};
  const forwarded: string[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    let name: string;
    let value: string;
    try {
      // As S3 reads a query: `+` is a space (form encoding), `%2B` a plus. Signers encode a space as %20
      // and a plus as %2B, so a `+` read as a plus would let a URL's meaning change under its signature.
      const decode = (text: string): string => decodeURIComponent(text.replaceAll('+', '%20'));
      name = decode(equals < 0 ? part : part.slice(0, equals));
      value = equals < 0 ? '' : decode(part.slice(equals + 1));
    } catch {
      throw new S3Error(400, 'InvalidArgument', 'The query string is not valid percent-encoding.');
    }
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    const signatureParam =
      (PRESIGN_PARAMS as readonly string[]).includes(name) || name.toLowerCase() === 'x-amz-content-sha256';
    if (!signatureParam) forwarded.push(part);
  }
  return { path, query, forwardedQuery: forwarded.join('&') };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        reject(
          new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
            MaxSizeAllowed: String(maxBytes),
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function checkCrc32(body: Buffer, expected: string | undefined): void {
  if (expected === undefined) return;
  const actual = Buffer.alloc(4);
  actual.writeUInt32BE(crc32(body));
  if (actual.toString('base64') !== expected) {
    throw new S3Error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
  }
}

/** The object bytes of a header-signed request, checked against the payload hash and checksum it names. */
function payloadOf(body: Buffer, payloadHash: string, headers: IncomingHttpHeaders): Buffer {
  if (payloadHash === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    const { body: decoded, trailers } = decodeAwsChunked(body);
    const declared = single(headers['x-amz-decoded-content-length']);
    if (declared !== undefined && Number(declared) !== decoded.length) {
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the header.',
      );
    }
    checkCrc32(decoded, trailers['x-amz-checksum-crc32'] ?? single(headers['x-amz-checksum-crc32']));
    return decoded;
  }
  if (payloadHash.startsWith('STREAMING-')) {
    throw new S3Error(
      501,
      'NotImplemented',
      `The local S3 server does not accept ${payloadHash} uploads; send the body whole or unsigned-chunked.`,
    );
  }
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(payloadHash)) {
      throw new S3Error(
        400,
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.',
      );
    }
    const computed = createHash('sha256').update(body).digest('hex');
    if (computed !== payloadHash) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        { ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: computed },
      );
    }
  }
  checkCrc32(body, single(headers['x-amz-checksum-crc32']));
  return body;
}

/** CORS headers for a read from an allowed origin; none otherwise (the browser then blocks the read). */
function corsHeaders(config: FrontConfig, origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  const any = config.corsOrigins.includes('*');
  if (!any && !config.corsOrigins.includes(origin)) return {};
  return {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-allow-methods': READ_METHODS.join(', '),
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

function preflight(
  config: FrontConfig,
  request: IncomingMessage,
  response: ServerResponse,
  ids: { requestId: string; hostId: string },
): void {
  const origin = single(request.headers.origin);
  const method = single(request.headers['access-control-request-method']);
  if (origin === undefined || method === undefined) {
    throw new S3Error(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
  }
  const cors = corsHeaders(config, origin);
  if (Object.keys(cors).length === 0 || !READ_METHODS.includes(method)) {
    throw new S3Error(
      403,
      'AccessForbidden',
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      { Method: method, ResourceType: 'OBJECT' },
    );
  }
  const requestedHeaders = single(request.headers['access-control-request-headers']);
  response.writeHead(200, {
    ...cors,
    ...(requestedHeaders === undefined ? {} : { 'access-control-allow-headers': requestedHeaders }),
    'access-control-max-age': '3000',
    'content-length': 0,
    'x-amz-request-id': ids.requestId,
    'x-amz-id-2': ids.hostId,
  });
  response.end();
}

/** Hands the verified request to s3rver, signed as its built-in account (it checks no signature). */
function forward(
  config: FrontConfig,
  request: IncomingMessage,
  response: ServerResponse,
  target: Target,
  body: Buffer | undefined,
  extraHeaders: Record<string, string>,
): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  const encoding = single(request.headers['content-encoding'])
    ?.split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token !== 'aws-chunked')
    .join(', ');
  if (encoding === '') delete headers['content-encoding'];
  else if (encoding !== undefined) headers['content-encoding'] = encoding;
  const nowMs = Date.now();
  Object.assign(headers, {
    host: '127.0.0.1',
    'x-amz-date': amzDate(nowMs),
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${amzDate(nowMs).slice(0, 8)}/${config.region}/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
    ...(body === undefined ? {} : { 'content-length': body.length }),
  });
  return new Promise((resolve, reject) => {
    const upstream = forwardRequest({
      socketPath: config.socketPath,
      method: request.method,
      path: target.forwardedQuery === '' ? target.path : `${target.path}?${target.forwardedQuery}`,
      headers,
    });
    upstream.on('response', (answer) => {
      const returned: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !NOT_RETURNED.has(name)) returned[name] = value;
      }
      response.writeHead(answer.statusCode ?? 500, { ...returned, ...extraHeaders });
      answer.pipe(response);
      answer.on('end', resolve);
      answer.on('error', reject);
    });
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function createFront(config: FrontConfig): Server {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const ids = newRequestIds();
    const method = request.method ?? 'GET';
    const cors = READ_METHODS.includes(method) ? corsHeaders(config, single(request.headers.origin)) : {};
    let bodyRead = false;
    try {
      if (method === 'OPTIONS') {
        preflight(config, request, response, ids);
        return;
      }
      const target = parseTarget(request.url ?? '/');
      const signed = { method, path: target.path, query: target.query, headers: request.headers };
      const verify = { credentials: config.credentials, region: config.region, now: config.now() };
      const byHeader = request.headers.authorization !== undefined;
      const byQuery = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'].some(
        (name) => target.query[name] !== undefined,
      );
      if (byHeader && byQuery) {
        throw new S3Error(
          400,
          'InvalidArgument',
          'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        );
      }
      if (!byHeader && !byQuery) throw new S3Error(403, 'AccessDenied', 'Access Denied');
      const payloadHash = byHeader
        ? await verifyHeaderSignature(signed, verify)
        : await verifyPresignedRequest(signed, verify).then(() => 'UNSIGNED-PAYLOAD');
      let body: Buffer | undefined;
      if (!READ_METHODS.includes(method)) {
        body = payloadOf(await readBody(request, config.maxObjectBytes), payloadHash, request.headers);
      }
      bodyRead = true;
      await forward(config, request, response, target, body, {
        ...cors,
        'x-amz-request-id': ids.requestId,
        'x-amz-id-2': ids.hostId,
      });
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // A refused upload is not read to its end: close the connection rather than drain it.
      const closing: Record<string, string> =
        bodyRead || READ_METHODS.includes(method) ? {} : { connection: 'close' };
      if (error instanceof S3Error) {
        sendS3Error(response, error, method, ids, { ...cors, ...closing });
        return;
      }
      process.stderr.write(`local S3: ${(error as Error).message}\n`);
      sendS3Error(
        response,
        new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
        method,
        ids,
        { ...cors, ...closing },
      );
    }
  };
  return createServer((request, response) => {
    void handle(request, response);
  });
}

function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts the local S3 server with `bucket` created. Point the real `S3Client` at it with
 * `clientConfig`; presigned URLs from `@aws-sdk/s3-request-presigner` work against it, in a browser too
 * for the `corsOrigins`.
 */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  const bucket = options.bucket ?? DEFAULT_S3_BUCKET;
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? LOCAL_S3_CREDENTIALS;
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new Error(
      `"${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens).`,
    );
  }
  if (!Number.isSafeInteger(maxObjectBytes) || maxObjectBytes < 1) {
    throw new Error('maxObjectBytes must be a positive integer.');
  }
  const dir = options.dir ?? DEFAULT_S3_DIR;
  mkdirSync(dir, { recursive: true });

  const store = new S3rver({
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await store.configureBuckets();
  // A private folder: only this user reaches the socket, and s3rver through it.
  const socketDir = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const socketPath = join(socketDir, 's3rver.sock');
  const backend = createServer(store.getMiddleware());
  const front = createFront({
    socketPath,
    region,
    credentials,
    corsOrigins: options.corsOrigins ?? [],
    now: options.now ?? (() => Date.now()),
    maxObjectBytes,
  });
  let port: number;
  try {
    await listenOnSocket(backend, socketPath);
    port = await listen(front, options.port ?? 0, host, 'S3_PORT');
  } catch (error) {
    if (backend.listening) await close(backend);
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const endpoint = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`;
  return {
    endpoint,
    port,
    bucket,
    region,
    credentials,
    clientConfig: { endpoint, region, credentials, forcePathStyle: true },
    stop: async () => {
      await close(front);
      await close(backend);
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
