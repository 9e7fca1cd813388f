import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, handleAdmin } from './admin';
import {
  getClip,
  getDashStreamingSessionUrl,
  getHlsStreamingSessionUrl,
  listFragments,
} from './archived-media';
import { createStream, deleteStream, describeStream, getDataEndpoint, listStreams } from './control-plane';
import type { Counters } from './counters';
import type { EmulatorState } from './emulator-state';
import { getImages } from './get-images';
import { readBody, sendError, sendJson } from './http-messages';
import { EmulatorStopped, type PendingDelays } from './pending-delays';
import { PLAYBACK_FILES, servePlayback, UTC_TIME_PATH, type PlaybackFile } from './playback';
import type { Input } from './request-input';
import { injectedError, ServiceError } from './service-error';
import { verifySigV4, type LocalCredentials } from './sigv4-verifier';

type JsonOperation = (
  state: EmulatorState,
  input: Input,
  dataEndpoint: string,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

const CONTROL_PLANE: Readonly<Record<string, { name: string; run: JsonOperation }>> = {
  '/createStream': { name: 'CreateStream', run: createStream },
  '/describeStream': { name: 'DescribeStream', run: describeStream },
  '/listStreams': { name: 'ListStreams', run: listStreams },
  '/deleteStream': { name: 'DeleteStream', run: deleteStream },
  '/getDataEndpoint': { name: 'GetDataEndpoint', run: getDataEndpoint },
};

const ARCHIVED_MEDIA: Readonly<Record<string, { name: string; run: JsonOperation | 'GetClip' }>> = {
  '/getHLSStreamingSessionURL': { name: 'GetHLSStreamingSessionURL', run: getHlsStreamingSessionUrl },
  '/getDASHStreamingSessionURL': { name: 'GetDASHStreamingSessionURL', run: getDashStreamingSessionUrl },
  '/listFragments': { name: 'ListFragments', run: listFragments },
  '/getClip': { name: 'GetClip', run: 'GetClip' },
  '/getImages': { name: 'GetImages', run: getImages },
};

const DATA_ENDPOINT_ID = /^\/(b-[0-9a-f]{8})(\/.*)$/;
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': '*',
  // Players read Date to sync their clock (DASH UTCTiming http-head) and Content-Length for
  // bandwidth estimates; a browser hides every non-safelisted header of a cross-origin response.
  'access-control-expose-headers': 'Date, Content-Length, x-amzn-RequestId, x-amzn-ErrorType',
};

export interface ServerDependencies {
  readonly state: EmulatorState;
  readonly credentials: LocalCredentials;
  readonly counters: Counters;
  readonly delays: PendingDelays;
}

function parseJsonBody(body: Buffer): Input {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('SerializationException', 400, 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 400, 'The request body must be a JSON object.');
  }
  return parsed as Input;
}

function queryRecord(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    query[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

/** Counts the call, then applies injected latency and errors before the operation runs. */
async function withFaults(dependencies: ServerDependencies, operation: string): Promise<void> {
  dependencies.counters.increment(operation);
  const decision = dependencies.state.faults.decide(operation);
  if (decision.latencyMs > 0) await dependencies.delays.wait(decision.latencyMs);
  if (decision.kind === 'error') throw injectedError(decision.error);
}

async function handlePlayback(
  dependencies: ServerDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  file: PlaybackFile,
  search: URLSearchParams,
  headers: Record<string, string>,
): Promise<void> {
  const corsHeaders = { ...headers, ...CORS_HEADERS };
  if (request.method === 'OPTIONS') {
    response.writeHead(204, corsHeaders).end();
    return;
  }
  try {
    await withFaults(dependencies, PLAYBACK_FILES[file].operation);
    const result = servePlayback(dependencies.state, file, search);
    const body = typeof result.body === 'string' ? Buffer.from(result.body) : Buffer.from(result.body);
    response.writeHead(200, {
      ...corsHeaders,
      // The emulator's clock, injected or not, is the one its manifests and playlists follow.
      date: new Date(dependencies.state.clock()).toUTCString(),
      'content-type': result.contentType,
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    dependencies.counters.increment(`${PLAYBACK_FILES[file].operation}:${error.errorType}`);
    sendError(response, error, corsHeaders);
  }
}

/** The emulator's time as ISO 8601 with milliseconds (DASH UTCTiming `http-iso`), and as Date. */
function handleUtcTime(
  dependencies: ServerDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
): void {
  const corsHeaders = { ...headers, ...CORS_HEADERS };
  if (request.method === 'OPTIONS') {
    response.writeHead(204, corsHeaders).end();
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendJson(
      response,
      405,
      { message: `No operation ${request.method ?? ''} ${UTC_TIME_PATH}.` },
      corsHeaders,
    );
    return;
  }
  const now = new Date(dependencies.state.clock());
  const body = Buffer.from(now.toISOString());
  response.writeHead(200, {
    ...corsHeaders,
    date: now.toUTCString(),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

async function handleApi(
  dependencies: ServerDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  dataEndpointId: string | undefined,
  path: string,
  headers: Record<string, string>,
): Promise<void> {
  const operation = dataEndpointId === undefined ? CONTROL_PLANE[path] : ARCHIVED_MEDIA[path];
  try {
    const body = await readBody(request);
    if (request.method !== 'POST' || !operation) {
      throw new ServiceError(
        'UnknownOperationException',
        404,
        `No operation ${request.method ?? ''} ${url.pathname}.`,
      );
    }
    await verifySigV4(
      {
        method: 'POST',
        host: request.headers.host ?? '',
        path: url.pathname,
        query: queryRecord(url.searchParams),
        headers: request.headers,
        body,
      },
      dependencies.credentials,
    );
    await withFaults(dependencies, operation.name);
    const input = parseJsonBody(body);
    const dataEndpoint = `${dependencies.state.baseUrl()}/${dataEndpointId ?? ''}`;
    if (operation.run === 'GetClip') {
      const clip = getClip(dependencies.state, input);
      response.writeHead(200, {
        ...headers,
        'content-type': clip.contentType,
        'content-length': clip.body.length,
      });
      response.end(Buffer.from(clip.body));
      return;
    }
    sendJson(response, 200, await operation.run(dependencies.state, input, dataEndpoint), headers);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    dependencies.counters.increment(`${operation?.name ?? 'Unknown'}:${error.errorType}`);
    sendError(response, error, headers);
  }
}

const ORIGIN = 'http://emulator.invalid';

/**
 * The request target as a URL, or undefined when it is not one the service could have: an origin-form
 * target must be a path that starts with exactly one slash (`//[` or `//name/x` would read as a host),
 * an absolute-form one must parse on its own; `*` and anything else are refused.
 */
function requestTargetUrl(target: string): URL | undefined {
  try {
    if (target.startsWith('/')) return target.startsWith('//') ? undefined : new URL(`${ORIGIN}${target}`);
    return /^https?:\/\//i.test(target) ? new URL(target) : undefined;
  } catch {
    return undefined;
  }
}

/** The request listener of the emulator's HTTP server. */
export function createRequestListener(dependencies: ServerDependencies) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const headers = { 'x-amzn-requestid': randomUUID() };
    const url = requestTargetUrl(request.url ?? '/');
    if (url === undefined) {
      dependencies.counters.increment('InvalidRequestTarget');
      sendJson(
        response,
        400,
        { message: 'The request target is not a valid path.' },
        {
          ...headers,
          'x-amzn-errortype': 'InvalidRequestTarget',
        },
      );
      return;
    }
    const route = async (): Promise<void> => {
      if (url.pathname.startsWith(ADMIN_PREFIX)) {
        return handleAdmin(dependencies, request, response, url.pathname, headers);
      }
      if (url.pathname === UTC_TIME_PATH) return handleUtcTime(dependencies, request, response, headers);
      const match = DATA_ENDPOINT_ID.exec(url.pathname);
      const dataEndpointId = match?.[1];
      const path = match?.[2] ?? url.pathname;
      if (dataEndpointId !== undefined) {
        const status = dependencies.state.endpoints.status(dataEndpointId);
        const file = path.slice(1);
        if (status !== 'unknown' && Object.hasOwn(PLAYBACK_FILES, file) && request.method !== 'POST') {
          return handlePlayback(
            dependencies,
            request,
            response,
            file as PlaybackFile,
            url.searchParams,
            headers,
          );
        }
        if (status === 'retired') {
          // A rotated endpoint behaves like a host that went away: the connection drops unanswered.
          dependencies.counters.increment('RetiredEndpoint');
          request.socket.destroy();
          return undefined;
        }
        if (status === 'unknown') {
          return sendError(
            response,
            new ServiceError('ResourceNotFoundException', 404, 'Unknown data endpoint.'),
            headers,
          );
        }
      }
      return handleApi(dependencies, request, response, url, dataEndpointId, path, headers);
    };
    route().catch((error: unknown) => {
      if (error instanceof EmulatorStopped) {
        response.destroy();
        return undefined;
      }
      if (error instanceof ServiceError) return sendError(response, error, headers);
      const failure = new ServiceError('InternalFailure', 500, 'The emulator failed to process the request.');
      process.stderr.write(`kvs-emulator: ${(error as Error).stack ?? String(error)}\n`);
      if (!response.headersSent) sendError(response, failure, headers);
      else response.destroy();
      return undefined;
    });
  };
}
