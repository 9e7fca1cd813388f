import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  edgeAnswerHeaders,
  edgeErrorBody,
  type FunctionName,
  GATEWAY_RESPONSES,
  statusOf,
  UNCACHEABLE_HEADERS,
} from '../../lambda/contract';
import { sendJson } from '../json-response';
import { createStaticFiles, type Asset } from '../demo/static-files';
import { createIdentityEndpoints, type TokenRequest } from '../identity/http-endpoints';
import { createGateway, type GatewayOptions, type ProxyHandler } from './gateway';
import { sendGatewayResponse } from './gateway-responses';
import { newRequestId } from './proxy-event';

export { MAX_REQUEST_BYTES, type ProxyHandler } from './gateway';

export interface LocalApiServerOptions extends GatewayOptions {
  /** The body of `/.well-known/jwks.json`. */
  jwks: () => unknown;
  /** Backs the dev-only `GET /_local/token`; absent disables it. */
  mintToken?: (request: TokenRequest) => string;
  /** Files built at start (the client package for the demo page), by path. */
  assets?: Readonly<Record<string, Asset>>;
}

export interface LocalApiServer {
  server: Server;
  /** Installs a function's handler (default `vend`) once its environment is ready; calls before answer 500. */
  setHandler(handler: ProxyHandler, fn?: FunctionName): void;
  /** Sets the configured origins of the API (known once it listens). */
  setAllowedOrigins(origins: readonly string[]): void;
}

/**
 * What listens on the local API's port: the local API Gateway in front of the function, plus what a
 * deployment serves elsewhere: the identity provider's JWKS and dev token endpoint, and the demo page.
 */
export function createLocalApiServer(options: LocalApiServerOptions): LocalApiServer {
  const gateway = createGateway(options);
  const identity = createIdentityEndpoints(options);
  const staticFiles = createStaticFiles(options.assets ?? {});

  const server = createServer((request, response) => {
    const fail = (): void => {
      if (!response.headersSent) {
        sendGatewayResponse(response, 'DEFAULT_5XX', { requestId: newRequestId(), allowedOrigins: [] });
      } else response.destroy();
    };
    try {
      const url = new URL(`http://127.0.0.1${request.url ?? '/'}`);
      if (url.pathname.startsWith(DEV_ONLY_PREFIX) && !LOOPBACK_HOST.test(request.headers.host ?? '')) {
        refuseForeignHost(response);
        return;
      }
      if (
        request.method === 'GET' &&
        (identity.serve(url, response) || staticFiles.serve(url.pathname, response))
      ) {
        return;
      }
      gateway.handle(request, response, url).catch(fail);
    } catch {
      fail();
    }
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket),
  );

  return {
    server,
    setHandler: (handler, fn) => gateway.setHandler(handler, fn),
    setAllowedOrigins: (origins) => gateway.setAllowedOrigins(origins),
  };
}

/**
 * A request Node.js' HTTP parser refused before the gateway saw it: headers past its limit (16 KB) are
 * API Gateway's REQUEST_TOO_LARGE (413 PAYLOAD_TOO_LARGE; API Gateway's own limit is 10 KB of request line
 * and headers), anything else (an unknown method, a malformed request line or header) its BAD_REQUEST_PARAMETERS answer
 * (400 INVALID_REQUEST). The answer is in the service's shape with the headers every answer carries; no
 * CORS headers, since the request's Origin was never parsed. The connection closes after it.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer =
    GATEWAY_RESPONSES[error.code === 'HPE_HEADER_OVERFLOW' ? 'REQUEST_TOO_LARGE' : 'BAD_REQUEST_PARAMETERS'];
  const status = statusOf(answer);
  const requestId = newRequestId();
  const body = JSON.stringify(edgeErrorBody(answer, requestId));
  const headers = {
    'Content-Type': 'application/json',
    ...edgeAnswerHeaders(answer),
    'x-amzn-RequestId': requestId,
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
}

/** The dev-only endpoints of the local API (the token endpoint): for this machine's browser and tools only. */
const DEV_ONLY_PREFIX = '/_local/';

/** A Host naming this machine's loopback interface, with any port. */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * A dev-only endpoint asked for under another Host: a page of another site whose DNS name was rebound to
 * 127.0.0.1 (DNS rebinding) would otherwise mint tokens through the user's browser. 403 in the error shape.
 */
function refuseForeignHost(response: ServerResponse): void {
  const requestId = newRequestId();
  sendJson(
    response,
    403,
    {
      error: {
        code: 'FORBIDDEN',
        message: 'Dev-only endpoints answer only requests to localhost, 127.0.0.1 or [::1].',
        requestId,
      },
    },
    { ...UNCACHEABLE_HEADERS, 'x-amzn-RequestId': requestId },
  );
}
