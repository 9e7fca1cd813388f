import type { EmulatorState } from './emulator-state';
import {
  decodePageToken,
  encodePageToken,
  enumValue,
  findStream,
  integerValue,
  optionalObject,
  optionalString,
  STREAM_ARN,
  STREAM_NAME,
  streamReference,
  type Input,
} from './request-input';
import { clientLimitExceeded, invalidArgument, ServiceError, streamNotFound } from './service-error';
import { createdStream, type EmulatedStream } from './stream-registry';

export const API_NAMES = [
  'PUT_MEDIA',
  'GET_MEDIA',
  'LIST_FRAGMENTS',
  'GET_MEDIA_FOR_FRAGMENT_LIST',
  'GET_HLS_STREAMING_SESSION_URL',
  'GET_DASH_STREAMING_SESSION_URL',
  'GET_CLIP',
  'GET_IMAGES',
] as const;

function streamInfo(stream: EmulatedStream): Record<string, unknown> {
  return {
    DeviceName: stream.deviceName,
    StreamName: stream.name,
    StreamARN: stream.arn,
    MediaType: stream.mediaType,
    KmsKeyId: stream.kmsKeyId,
    Version: stream.version,
    Status: 'ACTIVE',
    CreationTime: stream.createdMs / 1000,
    DataRetentionInHours: stream.retentionHours,
  };
}

function throttleAccount(state: EmulatorState): void {
  if (!state.limiter.tryTake({ key: 'account/control', perSecond: state.quotas.controlPlanePerAccount })) {
    throw clientLimitExceeded();
  }
}

export function createStream(state: EmulatorState, input: Input): Record<string, unknown> {
  throttleAccount(state);
  const name = optionalString(input, 'StreamName');
  if (name === undefined || !STREAM_NAME.test(name)) {
    throw invalidArgument('StreamName is required and must match [a-zA-Z0-9_.-]{1,256}.');
  }
  const retentionHours = integerValue(input, 'DataRetentionInHours', 0, 87600) ?? 0;
  if (state.streams.has(name)) {
    throw new ServiceError('ResourceInUseException', 400, `The stream ${name} already exists.`);
  }
  const deviceName = optionalString(input, 'DeviceName');
  const mediaType = optionalString(input, 'MediaType');
  const kmsKeyId = optionalString(input, 'KmsKeyId');
  const stream = createdStream(
    {
      name,
      retentionHours,
      ...(deviceName === undefined ? {} : { deviceName }),
      ...(mediaType === undefined ? {} : { mediaType }),
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    },
    state.region,
    state.clock(),
  );
  state.streams.set(name, stream);
  return { StreamARN: stream.arn };
}

export function describeStream(state: EmulatorState, input: Input): Record<string, unknown> {
  throttleAccount(state);
  return { StreamInfo: streamInfo(findStream(state.streams, streamReference(input))) };
}

const isNamePage = (value: unknown): value is { after: string } =>
  typeof value === 'object' && value !== null && typeof (value as { after?: unknown }).after === 'string';

export function listStreams(state: EmulatorState, input: Input): Record<string, unknown> {
  throttleAccount(state);
  const maxResults = integerValue(input, 'MaxResults', 1, 10000) ?? 10000;
  const condition = optionalObject(input, 'StreamNameCondition');
  let prefix = '';
  if (condition) {
    enumValue(condition, 'ComparisonOperator', ['BEGINS_WITH'] as const);
    const value = optionalString(condition, 'ComparisonValue');
    if (value === undefined || !STREAM_NAME.test(value)) {
      throw invalidArgument('StreamNameCondition.ComparisonValue must match [a-zA-Z0-9_.-]{1,256}.');
    }
    prefix = value;
  }
  const after = decodePageToken(optionalString(input, 'NextToken'), isNamePage)?.after;
  const names = [...state.streams.keys()]
    .filter((name) => name.startsWith(prefix) && (after === undefined || name > after))
    .sort();
  const page = names.slice(0, maxResults);
  const last = page[page.length - 1];
  return {
    StreamInfoList: page.map((name) => streamInfo(state.streams.get(name) as EmulatedStream)),
    ...(names.length > maxResults && last !== undefined
      ? { NextToken: encodePageToken({ after: last }) }
      : {}),
  };
}

export function deleteStream(state: EmulatorState, input: Input): Record<string, unknown> {
  throttleAccount(state);
  const arn = optionalString(input, 'StreamARN');
  const match = arn === undefined ? null : STREAM_ARN.exec(arn);
  if (!match?.[1])
    throw invalidArgument('StreamARN is required and must be a valid Kinesis Video stream ARN.');
  const stream = state.streams.get(match[1]);
  if (!stream || stream.arn !== arn) throw streamNotFound();
  const version = optionalString(input, 'CurrentVersion');
  if (version !== undefined && version !== stream.version) {
    throw new ServiceError(
      'VersionMismatchException',
      400,
      'The stream version does not match CurrentVersion.',
    );
  }
  state.streams.delete(stream.name);
  return {};
}

export function getDataEndpoint(state: EmulatorState, input: Input): Record<string, unknown> {
  const reference = streamReference(input);
  if (input.APIName === undefined) throw invalidArgument('APIName is required.');
  enumValue(input, 'APIName', API_NAMES);
  const allowed = state.limiter.tryTake(
    { key: `stream/${reference.key}/GetDataEndpoint`, perSecond: state.quotas.getDataEndpointPerStream },
    { key: 'account/GetDataEndpoint', perSecond: state.quotas.getDataEndpointPerAccount },
  );
  if (!allowed) throw clientLimitExceeded();
  const stream = findStream(state.streams, reference);
  return { DataEndpoint: `${state.baseUrl()}/${state.endpoints.idFor(stream.name)}` };
}
