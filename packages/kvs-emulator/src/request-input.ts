import { invalidArgument, streamNotFound } from './service-error';
import type { EmulatedStream } from './stream-registry';

/** The JSON body of an operation, members PascalCase as on the wire. */
export type Input = Readonly<Record<string, unknown>>;

export const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,256}$/;
export const STREAM_ARN = /^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:stream\/([a-zA-Z0-9_.-]+)\/[0-9]+$/;

export function optionalObject(input: Input, field: string): Input | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`${field} must be an object.`);
  return value as Input;
}

export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`${field} must be a string.`);
  return value;
}

export function enumValue<T extends string>(
  input: Input,
  field: string,
  allowed: readonly T[],
  fallback: T,
): T;
export function enumValue<T extends string>(
  input: Input,
  field: string,
  allowed: readonly T[],
): T | undefined;
export function enumValue<T extends string>(
  input: Input,
  field: string,
  allowed: readonly T[],
  fallback?: T,
): T | undefined {
  const value = optionalString(input, field);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

export function integerValue(input: Input, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${field} must be an integer between ${min} and ${max}.`);
  }
  return value;
}

/** Epoch seconds (fractions allowed) to epoch milliseconds. */
export function timestampValue(input: Input, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidArgument(`${field} must be a timestamp.`);
  return Math.round(value * 1000);
}

export interface StreamReference {
  readonly name?: string;
  readonly arn?: string;
  /** The name, or the name inside the ARN. */
  readonly key: string;
}

/** StreamName or StreamARN, exactly one, each well formed. */
export function streamReference(input: Input): StreamReference {
  const name = optionalString(input, 'StreamName');
  const arn = optionalString(input, 'StreamARN');
  if ((name === undefined) === (arn === undefined)) {
    throw invalidArgument('Exactly one of StreamName or StreamARN must be specified.');
  }
  if (name !== undefined) {
    if (!STREAM_NAME.test(name)) throw invalidArgument('StreamName must match [a-zA-Z0-9_.-]{1,256}.');
    return { name, key: name };
  }
  const match = arn !== undefined && arn.length <= 1024 ? STREAM_ARN.exec(arn) : null;
  if (arn === undefined || !match?.[1]) {
    throw invalidArgument('StreamARN is not a valid Kinesis Video stream ARN.');
  }
  return { arn, key: match[1] };
}

export function findStream(
  streams: ReadonlyMap<string, EmulatedStream>,
  reference: StreamReference,
): EmulatedStream {
  const stream = streams.get(reference.key);
  if (!stream || (reference.arn !== undefined && reference.arn !== stream.arn)) throw streamNotFound();
  return stream;
}

export function encodePageToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodePageToken<T>(
  token: string | undefined,
  isValid: (value: unknown) => value is T,
): T | undefined {
  if (token === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('NextToken is not valid.');
  }
  if (!isValid(value)) throw invalidArgument('NextToken is not valid.');
  return value;
}
