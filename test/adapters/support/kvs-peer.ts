import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the peer does with the next call of an operation instead of answering normally. */
export type Fault =
  { kind: 'error'; status: number; type: string; message: string } | { kind: 'hang' } | { kind: 'reset' };

export interface RecordedCall {
  operation: string;
  path: string;
  body: Record<string, unknown>;
  authorization: string;
}

export interface PeerStream {
  name: string;
  status: 'ACTIVE' | 'CREATING' | 'DELETING' | 'UPDATING';
}

/**
 * A small HTTP peer that speaks the restJson1 protocol of Kinesis Video Streams (control plane and the
 * session-URL calls of archived media), with scripted faults. Errors have the service's shape:
 * status, `x-amzn-ErrorType` header and a `{"Message"}` body.
 */
export class KvsPeer {
  readonly calls: RecordedCall[] = [];
  readonly faults = new Map<string, Fault[]>();
  streams: PeerStream[] = [];
  listPageSize = 2;
  /** Data endpoint generation; retired generations answer 503. */
  generation = 1;
  retired = new Set<number>();
  private server: Server | undefined;
  endpoint = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server!.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  reset(): void {
    this.calls.length = 0;
    this.faults.clear();
    this.generation = 1;
    this.retired.clear();
  }

  /** Queues faults for the next calls of `operation` (e.g. `getHLSStreamingSessionURL`). */
  fail(operation: string, ...faults: Fault[]): void {
    this.faults.set(operation, [...(this.faults.get(operation) ?? []), ...faults]);
  }

  count(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  rotateDataEndpoint(): void {
    this.retired.add(this.generation);
    this.generation += 1;
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const match = /^(?:\/data-(\d+))?\/([A-Za-z]+)$/.exec(path);
    if (req.method !== 'POST' || !match) {
      this.error(res, 404, 'UnknownOperationException', 'Unknown operation');
      return;
    }
    const generation = match[1] === undefined ? undefined : Number(match[1]);
    const operation = match[2] as string;
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    this.calls.push({ operation, path, body, authorization: String(req.headers.authorization ?? '') });

    const fault = this.faults.get(operation)?.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      this.error(res, fault.status, fault.type, fault.message);
      return;
    }
    if (generation !== undefined && this.retired.has(generation)) {
      this.error(res, 503, 'ServiceUnavailableException', 'endpoint moved');
      return;
    }

    switch (operation) {
      case 'getDataEndpoint':
        this.json(res, { DataEndpoint: `${this.endpoint}/data-${this.generation}` });
        return;
      case 'listStreams':
        this.listStreams(res, body);
        return;
      case 'getHLSStreamingSessionURL':
        this.json(res, {
          HLSStreamingSessionURL: `${this.endpoint}/data-${generation}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=tok-${this.calls.length}`,
        });
        return;
      case 'getDASHStreamingSessionURL':
        this.json(res, {
          DASHStreamingSessionURL: `${this.endpoint}/data-${generation}/dash/v1/getDASHManifest.mpd?SessionToken=tok-${this.calls.length}`,
        });
        return;
      default:
        this.error(res, 404, 'UnknownOperationException', 'Unknown operation');
    }
  }

  private listStreams(res: ServerResponse, body: Record<string, unknown>): void {
    const condition = body.StreamNameCondition as { ComparisonValue?: string } | undefined;
    const prefix = condition?.ComparisonValue ?? '';
    const matching = this.streams.filter((s) => s.name.startsWith(prefix));
    const start = typeof body.NextToken === 'string' ? Number(body.NextToken) : 0;
    const page = matching.slice(start, start + this.listPageSize);
    const next = start + this.listPageSize < matching.length ? String(start + this.listPageSize) : undefined;
    this.json(res, {
      StreamInfoList: page.map((s) => ({ StreamName: s.name, Status: s.status })),
      ...(next ? { NextToken: next } : {}),
    });
  }

  private json(res: ServerResponse, body: unknown): void {
    res
      .writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' })
      .end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, type: string, message: string): void {
    res
      .writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-errortype': type,
        'x-amzn-requestid': 'req-1',
      })
      .end(JSON.stringify({ Message: message }));
  }
}
