import { createServer, type Server } from 'node:http';
import type { FunctionName } from '../../lambda/contract';
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

  return {
    server,
    setHandler: (handler, fn) => gateway.setHandler(handler, fn),
    setAllowedOrigins: (origins) => gateway.setAllowedOrigins(origins),
  };
}
