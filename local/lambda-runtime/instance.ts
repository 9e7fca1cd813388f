/**
 * One instance of the local function, in its own worker thread: what the Node.js runtime of Lambda does
 * in one execution environment. It loads the bundled handler once (the init phase, timed), then runs one
 * invocation at a time, as the pool sends them. Module state (configuration, SDK clients, caches, the
 * logger's correlation id) belongs to this instance alone.
 *
 * This file is bundled by esbuild when the local stack starts and runs as plain JavaScript in the worker.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { FromInstance, InstanceData, InvokeMessage, MeasureMessage, ToInstance } from './messages';
import { lowerThisThreadsPriority } from './thread-priority';

type Handler = (event: unknown, context: Context) => unknown;

const port = parentPort;
if (!port) throw new Error('instance.ts runs in a worker thread of the instance pool');
// The services the function calls come first on this machine's cores, as on machines of their own.
lowerThisThreadsPriority();
const post = (message: FromInstance): void => port.postMessage(message);

/**
 * Sends what the instance writes to the pool on the port its results take: a worker's own stdout and
 * stderr reach the main thread on another channel, with no order relative to the results.
 */
function captureOutput(stream: NodeJS.WriteStream, name: 'stdout' | 'stderr'): void {
  stream.write = (chunk: unknown, encodingOrDone?: unknown, done?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    post({ type: 'output', stream: name, text });
    const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
    if (typeof callback === 'function') queueMicrotask(() => (callback as () => void)());
    return true;
  };
}

const errorTypeOf = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === 'object' ? 'Error' : typeof error;

async function init(data: InstanceData): Promise<Handler | undefined> {
  const started = performance.now();
  try {
    const module = (await import(pathToFileURL(data.handlerFile).href)) as Record<string, unknown>;
    const handler = module[data.handlerName];
    if (typeof handler !== 'function') {
      const error = new Error(`${data.handlerName} is undefined or not exported`);
      error.name = 'Runtime.HandlerNotFound';
      throw error;
    }
    post({ type: 'ready', initDurationMs: performance.now() - started });
    return handler as Handler;
  } catch (error) {
    post({
      type: 'init-error',
      errorType: errorTypeOf(error),
      errorMessage: error instanceof Error ? error.message : String(error),
      initDurationMs: performance.now() - started,
    });
    return undefined;
  }
}

function contextOf(message: InvokeMessage): Context {
  const { remainingTimeMs, ...fields } = message.context;
  const deadline = Date.now() + remainingTimeMs;
  return {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  try {
    const result = await handler(message.event, contextOf(message));
    // Lambda returns the result serialised as JSON: what does not survive JSON does not reach the caller.
    const payload: unknown = result === undefined ? null : JSON.parse(JSON.stringify(result));
    post({ type: 'result', invocationId: message.invocationId, payload });
  } catch (error) {
    // The name only: a message or stack may hold a URL or a token.
    process.stderr.write(
      `${JSON.stringify({
        timestamp: new Date().toISOString(),
        level: 'ERROR',
        requestId: message.context.awsRequestId,
        message: 'Invoke Error',
        errorType: errorTypeOf(error),
      })}\n`,
    );
    post({ type: 'error', invocationId: message.invocationId, errorType: errorTypeOf(error) });
  }
}

function measure(message: MeasureMessage): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (message.collectGarbage && gc) gc();
  post({ type: 'memory', measureId: message.measureId, heapUsedBytes: process.memoryUsage().heapUsed });
}

captureOutput(process.stdout, 'stdout');
captureOutput(process.stderr, 'stderr');
// The pool sends invocations only once the instance reported itself ready.
let handler: Handler | undefined;
port.on('message', (message: ToInstance) => {
  if (message.type === 'measure') measure(message);
  else if (handler) void invoke(handler, message);
});
void init(workerData as InstanceData).then((loaded) => {
  handler = loaded;
});
