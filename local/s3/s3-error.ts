import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** An error answered the way S3 answers it: its status and `<Error><Code>…</Code><Message>…</Message>…`. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements of the error document, in order (e.g. `X-Amz-Expires` for an expired URL). */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char] ?? char,
  );

export function newRequestIds(): { requestId: string; hostId: string } {
  return {
    requestId: randomBytes(8).toString('hex').toUpperCase(),
    hostId: randomBytes(32).toString('base64'),
  };
}

/** Writes the error; a HEAD request gets its status and headers only, as from S3. */
export function sendS3Error(
  response: ServerResponse,
  error: S3Error,
  method: string | undefined,
  ids: { requestId: string; hostId: string },
  headers: Record<string, string> = {},
): void {
  const elements = {
    Code: error.code,
    Message: error.message,
    ...error.details,
    RequestId: ids.requestId,
    HostId: ids.hostId,
  };
  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${Object.entries(elements)
      .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
      .join('')}</Error>`,
  );
  response.writeHead(error.status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': body.length,
    'x-amz-request-id': ids.requestId,
    'x-amz-id-2': ids.hostId,
  });
  response.end(method === 'HEAD' ? undefined : body);
}
