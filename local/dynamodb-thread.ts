import { Worker } from 'node:worker_threads';
import { PortInUseError } from './listen';

/**
 * dynalite in a worker thread of its own. In AWS, DynamoDB is a service of its own; in one Node process its
 * requests would share one event loop with the API stand-in and the KVS emulator, so a burst of table
 * writes (a hundred instances taking admission at once) would hold up every other answer, and a busy
 * emulator the table's. The thread keeps the two apart, as the services are.
 *
 * The thread runs plain CommonJS (`eval`), so it needs no TypeScript loader: dynalite is required by its
 * resolved path.
 */
const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalitePath);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ type: 'error', code: error.code, message: error.message }));
server.listen(workerData.port, workerData.host, () =>
  parentPort.postMessage({ type: 'listening', port: server.address().port }),
);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  server.close(() => parentPort.close());
  server.closeAllConnections();
});
`;

type FromServer =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'error'; readonly code?: string; readonly message: string };

export interface DynamoDbServerThread {
  readonly port: number;
  /** Closes the server (open connections too) and ends the thread. */
  stop(): Promise<void>;
}

/** Starts dynalite (in memory) on host:port (0 = any free port) in a thread of its own. */
export async function startDynamoDbServerThread(options: {
  port: number;
  host: string;
  /** The variable that moves the port, named when it is taken. */
  envVar: string;
}): Promise<DynamoDbServerThread> {
  const worker = new Worker(SERVER, {
    eval: true,
    workerData: { dynalitePath: require.resolve('dynalite'), port: options.port, host: options.host },
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (message: FromServer) => {
        if (message.type === 'listening') resolve(message.port);
        else if (message.code === 'EADDRINUSE') reject(new PortInUseError(options.port, options.envVar));
        else reject(new Error(`The local DynamoDB server did not start: ${message.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`The local DynamoDB server stopped (exit code ${code}).`)),
      );
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        // A server whose close never completes must not hold the stop forever.
        setTimeout(() => void worker.terminate(), 2_000).unref();
      });
      return stopped;
    },
  };
}
