import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port of the local stack is taken; the message names the port and the variable that moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly envVar: string,
  ) {
    super(
      `Port ${port} is already in use. Stop whatever holds it, or choose another port: ${envVar}=<port>.`,
    );
    this.name = 'PortInUseError';
  }
}

/** Listens on host:port (0 = any free port) and resolves to the bound port. */
export function listen(server: Server, port: number, host: string, envVar: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, envVar) : error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Closes a server without waiting for idle keep-alive connections of clients that are still around. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** Reads a port from the environment; absent means `fallback`. */
export function portFromEnv(envVar: string, fallback: number): number {
  const raw = process.env[envVar];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${envVar} must be a port number (0-65535), got "${raw}".`);
  }
  return port;
}
