import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of dynalite for what dynalite does not do by itself:
 * - `returnItemOnConditionFailure`: answer a failed condition as DynamoDB does when the request asks for
 *   `ReturnValuesOnConditionCheckFailure: ALL_OLD` (the item as it was, in the error), which dynalite 4
 *   ignores. The proxy reads the item from dynalite right after the refusal and adds it to the answer;
 * - `delayMs`: a store that answers, slowly;
 * - `resetNext`: that many requests have their connection closed under them, unanswered, as a server does when
 *   it closes a keep-alive connection the client has just reused (the client sees ECONNRESET, "socket hang up").
 * It counts the requests it forwards per operation, i.e. what the client under test sent.
 */
export class DynamoDbProxy {
  returnItemOnConditionFailure = false;
  delayMs = 0;
  resetNext = 0;
  /** Sees each request (operation and body) before it is forwarded: a test's way to move a clock between calls. */
  onRequest: ((operation: string, body: string) => void) | undefined;
  private readonly counts: Record<string, number> = {};
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly target: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  operations(): Readonly<Record<string, number>> {
    return { ...this.counts };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
        this.counts[operation] = (this.counts[operation] ?? 0) + 1;
        this.onRequest?.(operation, body.toString('utf8'));
        if (this.resetNext > 0) {
          this.resetNext -= 1;
          req.socket.destroy();
          return;
        }
        setTimeout(() => {
          void this.forward(req.headers, body).then(async (answer) => {
            let payload = answer.body;
            if (
              this.returnItemOnConditionFailure &&
              operation === 'UpdateItem' &&
              answer.status === 400 &&
              payload.includes('ConditionalCheckFailedException')
            ) {
              payload = await this.withItem(req.headers, body, payload);
            }
            res.writeHead(answer.status, {
              'content-type': answer.headers['content-type'] ?? 'application/x-amz-json-1.0',
              'x-amzn-requestid': answer.headers['x-amzn-requestid'] ?? 'proxy',
            });
            res.end(payload);
          });
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(
    headers: IncomingHttpHeaders,
    body: Buffer | string,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const url = new URL(this.target);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          headers: { ...headers, host: url.host, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (chunk: Buffer) => parts.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(parts).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** The refusal with `Item` added, as DynamoDB answers ReturnValuesOnConditionCheckFailure ALL_OLD. */
  private async withItem(headers: IncomingHttpHeaders, body: Buffer, refusal: string): Promise<string> {
    const input = JSON.parse(body.toString('utf8')) as {
      TableName: string;
      Key: unknown;
      ReturnValuesOnConditionCheckFailure?: string;
    };
    if (input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') return refusal;
    const read = await this.forward(
      { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      JSON.stringify({ TableName: input.TableName, Key: input.Key, ConsistentRead: true }),
    );
    const item = (JSON.parse(read.body) as { Item?: unknown }).Item;
    if (item === undefined) return refusal;
    return JSON.stringify({ ...(JSON.parse(refusal) as Record<string, unknown>), Item: item });
  }
}
