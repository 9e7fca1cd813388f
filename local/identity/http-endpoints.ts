import type { ServerResponse } from 'node:http';
import { sendJson } from '../json-response';
import { JWKS_PATH } from './identity-provider';

/** The dev-only token endpoint of the local identity provider (what `npm run token` does, over HTTP). */
export const DEV_TOKEN_PATH = '/_local/token';

export interface TokenRequest {
  sub: string;
  groups: string[];
  ttlSeconds?: number;
}

export interface IdentityEndpointOptions {
  /** The body of `/.well-known/jwks.json`. */
  jwks: () => unknown;
  /** Backs `GET /_local/token`; absent disables it. */
  mintToken?: (request: TokenRequest) => string;
}

export interface IdentityEndpoints {
  /** Answers a GET of the JWKS or of the dev token endpoint; false for any other path. */
  serve(url: URL, response: ServerResponse): boolean;
}

/**
 * The local identity provider's HTTP side, served on the API's port as an issuer would serve it on its
 * own: the key set the function verifies tokens with, and a token endpoint for the demo page.
 */
export function createIdentityEndpoints(options: IdentityEndpointOptions): IdentityEndpoints {
  return {
    serve(url, response) {
      if (url.pathname === JWKS_PATH) {
        sendJson(response, 200, options.jwks(), { 'Cache-Control': 'max-age=60' });
        return true;
      }
      if (url.pathname === DEV_TOKEN_PATH && options.mintToken) {
        serveToken(response, url.searchParams, options.mintToken);
        return true;
      }
      return false;
    },
  };
}

function serveToken(
  response: ServerResponse,
  query: URLSearchParams,
  mint: (request: TokenRequest) => string,
): void {
  const sub = query.get('sub') ?? '';
  const groups = (query.get('groups') ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  const ttl = query.get('ttl');
  try {
    const ttlSeconds = ttl === null ? undefined : Number(ttl);
    const token = mint({ sub, groups, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
    sendJson(response, 200, { token, tokenType: 'Bearer' }, { 'Cache-Control': 'no-store' });
  } catch (error) {
    sendJson(response, 400, { message: (error as Error).message });
  }
}
