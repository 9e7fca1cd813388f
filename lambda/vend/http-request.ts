import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidRequestError, UnauthenticatedError } from '../core/errors';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './http-errors';

const MISSING_TOKEN = 'The bearer token is missing, invalid or expired.';
// RFC 6750 b64token; the scheme name is case-insensitive.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BEARER_SCHEME = /^\s*Bearer(?:\s|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** API Gateway keeps the header names the client sent: look them up case-insensitively. */
function headerValues(event: APIGatewayProxyEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && list) values.push(...list);
  }
  if (values.length > 0) return values;
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) values.push(value);
  }
  return values;
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  return headerValues(event, name)[0];
}

/**
 * The token of the one `Authorization: Bearer` header; anything else is 401. No Authorization header, or
 * only other schemes, is "missing" (RFC 6750 §3.1: the challenge then carries no error); a malformed
 * bearer or two Authorization headers is "invalid".
 */
export function bearerToken(event: APIGatewayProxyEvent): string {
  const values = headerValues(event, 'authorization');
  if (!values.some((value) => BEARER_SCHEME.test(value))) {
    throw new UnauthenticatedError(MISSING_TOKEN, 'missing');
  }
  const match = values.length === 1 ? BEARER.exec(values[0]!) : null;
  if (!match) throw new UnauthenticatedError(MISSING_TOKEN, 'invalid');
  return match[1]!;
}

/**
 * The JSON body of a request: an absent or empty body is `{}`; otherwise only `application/json` in
 * UTF-8, at most `maxBytes` once base64 is decoded. The size is checked before anything is decoded.
 */
export function jsonBody(event: APIGatewayProxyEvent, maxBytes: number): unknown {
  const raw = event.body ?? '';
  if (raw === '') return {};
  const size = Buffer.byteLength(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`The request body must be at most ${maxBytes} bytes.`);
  }
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length === 0) return {};
  if (!isJsonContentType(header(event, 'content-type'))) {
    throw new UnsupportedMediaTypeError('The request body must be application/json.');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8.', [
      { field: 'body', issue: 'must be UTF-8' },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.', [
      { field: 'body', issue: 'malformed JSON' },
    ]);
  }
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [mediaType, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') return false;
  return parameters.every(
    (parameter) => !parameter.startsWith('charset=') || /^charset="?utf-8"?$/.test(parameter),
  );
}
