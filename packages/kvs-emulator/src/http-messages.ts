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

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
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
