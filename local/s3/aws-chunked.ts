import { S3Error } from './s3-error';

export interface DecodedChunks {
  readonly body: Buffer;
  /** Trailing headers (e.g. `x-amz-checksum-crc32`), names lowercased. */
  readonly trailers: Readonly<Record<string, string>>;
}

const incomplete = (): S3Error =>
  new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the header.');

/**
 * Decodes an `aws-chunked` body (`<hex size>\r\n<bytes>\r\n` … `0\r\n<trailers>\r\n\r\n`), what the AWS
 * SDKs send with `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` for a stream body.
 */
export function decodeAwsChunked(encoded: Buffer): DecodedChunks {
  const chunks: Buffer[] = [];
  let at = 0;
  const line = (): string => {
    const end = encoded.indexOf('\r\n', at);
    if (end < 0) throw incomplete();
    const text = encoded.subarray(at, end).toString('latin1');
    at = end + 2;
    return text;
  };
  for (;;) {
    const header = line();
    const size = /^([0-9a-fA-F]{1,16})(;.*)?$/.exec(header);
    if (!size?.[1]) throw new S3Error(400, 'InvalidRequest', 'The aws-chunked body is malformed.');
    const length = Number.parseInt(size[1], 16);
    if (length === 0) break;
    if (at + length + 2 > encoded.length) throw incomplete();
    chunks.push(encoded.subarray(at, at + length));
    at += length;
    if (line() !== '') throw new S3Error(400, 'InvalidRequest', 'The aws-chunked body is malformed.');
  }
  const trailers: Record<string, string> = {};
  for (let text = line(); text !== ''; text = line()) {
    const colon = text.indexOf(':');
    if (colon <= 0) throw new S3Error(400, 'InvalidRequest', 'The aws-chunked trailer is malformed.');
    trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}
