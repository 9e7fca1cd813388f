import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** `pass`: bytes flow both ways; `hang`: connections are accepted and nothing is ever forwarded. */
export type ProxyMode = 'pass' | 'hang';

/**
 * A TCP proxy between a client and a server the test controls: it can forward, or swallow requests so
 * the server looks infinitely slow. When the target is down the client's connection is dropped, as a
 * dead host would do.
 */
export class TcpProxy {
  mode: ProxyMode = 'pass';
  targetPort = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Drops every open connection (kept-alive ones included), so the next request sees the new mode. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.mode === 'hang') {
      client.resume();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
