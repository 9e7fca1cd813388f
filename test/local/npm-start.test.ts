import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { close, listen } from '../../local/listen';

const REPO_ROOT = resolve(__dirname, '..', '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it (tsx local/start.ts), every port chosen by the system unless given. */
function startProcess(env: Record<string, string>): Run {
  const child = spawn(TSX, ['local/start.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      API_PORT: '0',
      KVS_PORT: '0',
      DYNAMODB_PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, output: () => output, exited };
}

function waitForOutput(run: Run, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolveMatch, reject) => {
    const check = (): void => {
      const match = pattern.exec(run.output());
      if (match) {
        run.child.stdout.off('data', check);
        resolveMatch(match);
      }
    };
    run.child.stdout.on('data', check);
    void run.exited.then(() => reject(new Error(`npm start exited early:\n${run.output()}`)));
    check();
  });
}

describe('npm start', () => {
  it('prints where everything runs and a working partner curl line, and stops cleanly on Ctrl-C', async () => {
    const run = startProcess({});
    try {
      await waitForOutput(run, /Ctrl-C stops everything/);
      const text = run.output();
      const apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
      const partnerKey = /partner API key (\S+)/.exec(text)![1]!;

      const page = await fetch(`${apiUrl}/`);
      const list = await fetch(`${apiUrl}/partner/v1/streams`, { headers: { 'x-api-key': partnerKey } });
      run.child.kill('SIGINT');
      const code = await run.exited;

      expect(text).toMatch(/demo page\s+http:\/\/127\.0\.0\.1:\d+\//);
      expect(text).toMatch(/KVS emulator\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(text).toContain(`curl -s -X POST ${apiUrl}/partner/v1/streams/front-door/playback-url`);
      expect(page.status).toBe(200);
      expect(list.status).toBe(200);
      expect(code).toBe(0);
      expect(run.output()).toContain('SIGINT: stopping the local stack');
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it.each(['API_PORT', 'KVS_PORT', 'DYNAMODB_PORT'])(
    'names the busy port and the variable %s, and exits 1',
    async (variable) => {
      const blocker = createServer();
      const port = await listen(blocker, 0, '127.0.0.1', 'TEST');
      try {
        const run = startProcess({ [variable]: String(port) });
        const code = await run.exited;

        expect(code).toBe(1);
        expect(run.output()).toContain(`Port ${port} is already in use`);
        expect(run.output()).toContain(`${variable}=<port>`);
      } finally {
        await close(blocker);
      }
    },
  );
});
