import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Whether something accepts connections on the port (127.0.0.1). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolveCheck) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolveCheck(true);
    });
    socket.on('error', () => resolveCheck(false));
  });
}

async function waitUntilFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await listening(port))) return true;
    await new Promise((wait) => setTimeout(wait, 200));
  }
  return !(await listening(port));
}

/**
 * `npm start` stopped by a signal sent to the npm process alone (a process manager, `kill <pid>`), not to
 * its whole process group as Ctrl-C does: the stack must stop all the same and free its ports.
 */
describe('npm start stopped by a signal to the npm process', () => {
  it.each(['SIGTERM', 'SIGHUP'] as const)(
    'stops everything on %s and frees the ports',
    async (signal) => {
      const child = spawn('npm', ['start'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          API_PORT: '0',
          KVS_PORT: '0',
          DYNAMODB_PORT: '0',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
        // Its own process group, so nothing but the signal below reaches the stack.
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolveExit) => child.on('exit', () => resolveExit()));
      try {
        await new Promise<void>((resolveUp, reject) => {
          const check = (): void => {
            if (output.includes('Ctrl-C stops everything')) resolveUp();
          };
          child.stdout.on('data', check);
          void exited.then(() => reject(new Error(`npm start exited early:\n${output}`)));
        });
        const ports = [
          /API\s+http:\/\/127\.0\.0\.1:(\d+)/,
          /KVS emulator\s+http:\/\/127\.0\.0\.1:(\d+)/,
          /DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+)/,
        ].map((pattern) => Number(pattern.exec(output)![1]));
        for (const port of ports) expect(await listening(port)).toBe(true);

        process.kill(child.pid!, signal);
        await exited;

        for (const port of ports) expect([port, await waitUntilFree(port, 15_000)]).toEqual([port, true]);
      } finally {
        // Whatever is left of the group (nothing, once it works).
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // The group is gone.
        }
      }
    },
    90_000,
  );
});
