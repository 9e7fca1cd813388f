import { ApiError, type ErrorCode } from './errors.js';
import type {
  ApiPath,
  ClipUrl,
  ClipUrlRequest,
  Images,
  ImagesRequest,
  PlaybackUrl,
  PlaybackUrlRequest,
  ServiceErrorBody,
  StreamList,
} from './types.js';

/** How the app proves who it is. `forceRefresh` is set when the previous token was refused (401). */
export type GetToken = (options: { forceRefresh: boolean }) => string | Promise<string>;

interface CommonOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`. */
  baseUrl: string;
  /** Default: the platform's `fetch`. */
  fetch?: typeof fetch;
  /** Abort a call that has not answered after this long. Default 30 000 ms (API Gateway gives up at 29 s). */
  timeoutMs?: number;
}

export interface UserClientOptions extends CommonOptions {
  /** A JWT of the configured issuer, asked for before every call (your auth library caches it). */
  getToken: GetToken;
  apiKey?: never;
}

export interface PartnerClientOptions extends CommonOptions {
  /**
   * A partner's API key. For partners' own servers only: a key shipped inside an app or a web page is a key
   * everyone has. The client refuses it where a `document` exists and in web workers.
   */
  apiKey: string;
  getToken?: never;
}

export type ClientOptions = UserClientOptions | PartnerClientOptions;

export interface CallOptions {
  signal?: AbortSignal;
}

export interface KvsUrlVendingClient {
  /** `GET /v1/streams` (users) or `GET /partner/v1/streams` (partners). */
  listStreams(options?: CallOptions): Promise<StreamList>;
  /** `POST /v1/streams/{streamName}/playback-url` (users) or its `/partner` twin. */
  createPlaybackUrl(
    stream: string,
    request?: PlaybackUrlRequest,
    options?: CallOptions,
  ): Promise<PlaybackUrl>;
  /**
   * `POST /v1/streams/{streamName}/clip-url` (users) or its `/partner` twin: an MP4 of a past window, made
   * and stored by the service, as a presigned download URL that lives until `expiresAt`. Needs a grant with
   * the CLIP capability. The URL is a bearer URL: hand it to a download link, never to a log.
   */
  createClipUrl(stream: string, request: ClipUrlRequest, options?: CallOptions): Promise<ClipUrl>;
  /**
   * `POST /v1/streams/{streamName}/images` (users) or its `/partner` twin: one image every `intervalSeconds`
   * of a past window. Needs a grant with the IMAGES capability. An image the service could not produce has
   * an `error` at its timestamp instead of a picture.
   */
  createImages(stream: string, request: ImagesRequest, options?: CallOptions): Promise<Images>;
}

/** One entry per operation: the user route and the partner route, both checked against `openapi.yaml`. */
const ROUTES = {
  listStreams: { user: '/v1/streams', partner: '/partner/v1/streams' },
  createPlaybackUrl: {
    user: '/v1/streams/{streamName}/playback-url',
    partner: '/partner/v1/streams/{streamName}/playback-url',
  },
  createClipUrl: {
    user: '/v1/streams/{streamName}/clip-url',
    partner: '/partner/v1/streams/{streamName}/clip-url',
  },
  createImages: {
    user: '/v1/streams/{streamName}/images',
    partner: '/partner/v1/streams/{streamName}/images',
  },
} as const satisfies Record<string, { user: ApiPath; partner: ApiPath }>;

const DEFAULT_TIMEOUT_MS = 30_000;

/** API Gateway's own answers have `{"message"}` bodies; they map onto the service's codes. */
const GATEWAY_MESSAGES: Record<string, ErrorCode> = {
  Forbidden: 'UNAUTHENTICATED',
  'Missing Authentication Token': 'NOT_FOUND',
  'Too Many Requests': 'RATE_LIMITED',
  'Limit Exceeded': 'RATE_LIMITED',
  'Request Too Long': 'PAYLOAD_TOO_LARGE',
};

/**
 * True in a page (a `document`) and in a web worker: dedicated, shared and service workers all have
 * `WorkerGlobalScope`, which neither Node.js nor its worker threads define.
 */
function inBrowser(): boolean {
  const scope = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return typeof scope.document !== 'undefined' || typeof scope.WorkerGlobalScope !== 'undefined';
}

export function createClient(options: ClientOptions): KvsUrlVendingClient {
  const partner = typeof options.apiKey === 'string';
  if (partner === (typeof options.getToken === 'function')) {
    throw new TypeError('createClient needs exactly one of getToken (users) or apiKey (partners).');
  }
  if (partner && inBrowser()) {
    throw new TypeError(
      'An API key is for a partner server only: in a page every visitor can read it. Use getToken here.',
    );
  }
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const call = async <T>(
    method: 'GET' | 'POST',
    route: { user: ApiPath; partner: ApiPath },
    pathParams: Record<string, string>,
    body: unknown,
    callOptions: CallOptions | undefined,
  ): Promise<T> => {
    const path = (partner ? route.partner : route.user).replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(pathParams[name] ?? ''),
    );
    let forceRefresh = false;
    for (;;) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
      else headers.authorization = `Bearer ${await options.getToken({ forceRefresh })}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await send(fetchImpl, `${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: callOptions?.signal,
        timeoutMs,
      });
      if (response.ok) return (await response.json()) as T;
      const error = await toApiError(response);
      // A token that expired between the app's check and ours: one more try with a fresh one.
      if (error.status === 401 && !partner && !forceRefresh) {
        forceRefresh = true;
        continue;
      }
      throw error;
    }
  };

  return {
    listStreams: (callOptions) => call<StreamList>('GET', ROUTES.listStreams, {}, undefined, callOptions),
    createPlaybackUrl: (stream, request = {}, callOptions) =>
      call<PlaybackUrl>('POST', ROUTES.createPlaybackUrl, { streamName: stream }, request, callOptions),
    createClipUrl: (stream, request, callOptions) =>
      call<ClipUrl>('POST', ROUTES.createClipUrl, { streamName: stream }, request, callOptions),
    createImages: (stream, request, callOptions) =>
      call<Images>('POST', ROUTES.createImages, { streamName: stream }, request, callOptions),
  };
}

async function send(
  fetchImpl: typeof fetch,
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string | undefined;
    signal: AbortSignal | undefined;
    timeoutMs: number;
  },
): Promise<Response> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, init.timeoutMs);
  const onAbort = (): void => controller.abort();
  init.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: controller.signal,
    });
  } catch (cause) {
    if (init.signal?.aborted) throw cause;
    // The platform's message may repeat the URL; ours says what happened and nothing more.
    throw new ApiError({
      code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
      status: 0,
      message: timedOut ? `No answer within ${init.timeoutMs} ms.` : 'The API could not be reached.',
    });
  } finally {
    clearTimeout(timer);
    init.signal?.removeEventListener('abort', onAbort);
  }
}

function retryAfterOf(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** `Retry-After-Ms`, only beside a `Retry-After` it does not exceed (a wait in another unit is not trusted). */
function retryAfterMsOf(response: Response, retryAfterSeconds: number | undefined): number | undefined {
  const header = response.headers.get('retry-after-ms')?.trim();
  if (header === undefined || retryAfterSeconds === undefined || !/^\d+$/.test(header)) return undefined;
  const ms = Number(header);
  return ms <= retryAfterSeconds * 1000 ? ms : undefined;
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfterSeconds = retryAfterOf(response);
  const retryAfterMs = retryAfterMsOf(response, retryAfterSeconds);
  const headerRequestId =
    response.headers.get('x-request-id') ?? response.headers.get('x-amzn-requestid') ?? undefined;
  const payload: unknown = await response.json().catch(() => undefined);
  const service = (payload as Partial<ServiceErrorBody> | undefined)?.error;
  if (service && typeof service.code === 'string') {
    return new ApiError({
      code: service.code,
      status: response.status,
      message: String(service.message ?? service.code),
      requestId: service.requestId ?? headerRequestId,
      retryAfterSeconds,
      retryAfterMs,
      details: service.details,
    });
  }
  const gatewayMessage = (payload as { message?: unknown } | undefined)?.message;
  const gatewayCode = typeof gatewayMessage === 'string' ? GATEWAY_MESSAGES[gatewayMessage] : undefined;
  return new ApiError({
    code: gatewayCode ?? 'UNEXPECTED_RESPONSE',
    status: response.status,
    message: gatewayCode ? String(gatewayMessage) : `Unexpected answer (HTTP ${response.status}).`,
    requestId: headerRequestId,
    retryAfterSeconds,
    retryAfterMs,
  });
}
