/**
 * The admin endpoints under `/_admin/`: counters, faults and endpoint rotation. They are unsigned, so
 * only loopback callers reach them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters } from './counters';
import type { EmulatorState } from './emulator-state';
import { parseFaults } from './faults';
import { readBody, sendJson } from './http-messages';

export const ADMIN_PREFIX = '/_admin/';

function isLoopback(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * A Host naming the loopback interface, with any port. A page of another site whose DNS name was rebound
 * to 127.0.0.1 reaches the emulator from a loopback address, but under its own name.
 */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** Answers one request under `/_admin/`; anyone but a loopback caller, to a loopback Host, gets 403. */
export async function handleAdmin(
  dependencies: { readonly state: EmulatorState; readonly counters: Counters },
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  headers: Record<string, string>,
): Promise<void> {
  if (!isLoopback(request)) return sendJson(response, 403, { message: 'Admin is loopback only.' }, headers);
  if (!LOOPBACK_HOST.test(request.headers.host ?? '')) {
    return sendJson(
      response,
      403,
      { message: 'Admin answers only requests to localhost, 127.0.0.1 or [::1].' },
      headers,
    );
  }
  const { state, counters } = dependencies;
  const method = request.method ?? 'GET';
  if (path === '/_admin/counters' && method === 'GET')
    return sendJson(response, 200, counters.snapshot(), headers);
  if (path === '/_admin/counters' && method === 'DELETE') {
    counters.reset();
    response.writeHead(204, headers).end();
    return undefined;
  }
  if (path === '/_admin/faults' && method === 'GET')
    return sendJson(response, 200, state.faults.current(), headers);
  if (path === '/_admin/faults' && method === 'PUT') {
    let faults;
    try {
      faults = parseFaults(JSON.parse((await readBody(request)).toString('utf8') || '{}'));
    } catch (error) {
      return sendJson(response, 400, { message: (error as Error).message }, headers);
    }
    state.faults.set(faults);
    return sendJson(response, 200, state.faults.current(), headers);
  }
  if (path === '/_admin/faults' && method === 'DELETE') {
    state.faults.set({});
    response.writeHead(204, headers).end();
    return undefined;
  }
  if (path === '/_admin/rotate-endpoints' && method === 'POST') {
    state.endpoints.rotate();
    response.writeHead(204, headers).end();
    return undefined;
  }
  return sendJson(response, 404, { message: `No admin resource ${method} ${path}.` }, headers);
}
