/** Request bodies and JSON answers, shared by the service's API and the admin endpoints. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from './service-error';

const MAX_BODY_BYTES = 1024 * 1024;

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ServiceError('InvalidArgumentException', 400, 'The request body is too large.'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * A JSON string value given as bytes that need no escaping (base64, say). An answer carries them as they
 * are: megabytes of images are neither copied into one string nor encoded again on the event loop.
 */
export class JsonAsciiString {
  constructor(readonly ascii: Buffer) {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** JSON.stringify's output as pieces, with every JsonAsciiString's bytes as a piece of their own. */
function jsonPieces(value: unknown, pieces: (string | Buffer)[]): void {
  if (value instanceof JsonAsciiString) {
    pieces.push('"', value.ascii, '"');
  } else if (Array.isArray(value)) {
    pieces.push('[');
    value.forEach((item: unknown, index) => {
      if (index > 0) pieces.push(',');
      jsonPieces(item === undefined || typeof item === 'function' ? null : item, pieces);
    });
    pieces.push(']');
  } else if (isPlainObject(value)) {
    pieces.push('{');
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function') continue;
      pieces.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      jsonPieces(item, pieces);
    }
    pieces.push('}');
  } else {
    pieces.push(JSON.stringify(value) ?? 'null');
  }
}

/** The body as buffers: runs of text joined, JsonAsciiString bytes as they are. */
function jsonBody(body: unknown): Buffer[] {
  const pieces: (string | Buffer)[] = [];
  jsonPieces(body, pieces);
  const buffers: Buffer[] = [];
  let text = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      text += piece;
      continue;
    }
    if (text !== '') buffers.push(Buffer.from(text));
    text = '';
    buffers.push(piece);
  }
  if (text !== '' || buffers.length === 0) buffers.push(Buffer.from(text));
  return buffers;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const buffers = jsonBody(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': buffers.reduce((total, buffer) => total + buffer.length, 0),
  });
  for (const buffer of buffers.slice(0, -1)) response.write(buffer);
  response.end(buffers[buffers.length - 1]);
}

/** A service error as the service answers it: its status, `x-amzn-ErrorType` and a JSON message. */
export function sendError(
  response: ServerResponse,
  error: ServiceError,
  headers: Record<string, string> = {},
): void {
  sendJson(
    response,
    error.status,
    error.lowercaseMessage ? { message: error.message } : { Message: error.message },
    {
      ...headers,
      'x-amzn-errortype': error.errorType,
    },
  );
}
