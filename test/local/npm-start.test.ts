import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
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

/**
 * Stops it as Ctrl-C does: tsx passes the signal on to the node process it runs, which stops the stack and
 * exits. SIGKILL would end tsx alone and leave that process running.
 */
async function stop(run: Run): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGINT');
  const timer = new Promise<'timeout'>((resolveTimer) =>
    setTimeout(() => resolveTimer('timeout'), 15_000).unref(),
  );
  if ((await Promise.race([run.exited, timer])) === 'timeout') run.child.kill('SIGKILL');
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

  it('takes the origin of a web developer, their own streams and a concurrency, and logs cold starts', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'kvs-npm-start-'));
    const streamsFile = join(scratch, 'my-streams.json');
    writeFileSync(streamsFile, JSON.stringify([{ name: 'my-camera', retentionHours: 1, media: 'fixture' }]));
    const devServer = 'http://localhost:5173';
    const run = startProcess({
      ALLOWED_ORIGINS: devServer,
      KVS_STREAMS_FILE: streamsFile,
      LOCAL_LAMBDA_CONCURRENCY: '3',
    });
    try {
      await waitForOutput(run, /Ctrl-C stops everything/);
      const apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())![1]!;
      const { token } = (await (await fetch(`${apiUrl}/_local/token?sub=sam&groups=security`)).json()) as {
        token: string;
      };
      const authorization = `Bearer ${token}`;

      const preflight = await fetch(`${apiUrl}/v1/streams`, {
        method: 'OPTIONS',
        headers: {
          origin: devServer,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      const list = await fetch(`${apiUrl}/v1/streams`, { headers: { origin: devServer, authorization } });
      const fromTheDemoPage = await fetch(`${apiUrl}/v1/streams`, {
        headers: { origin: apiUrl, authorization },
      });
      const vend = await fetch(`${apiUrl}/v1/streams/my-camera/playback-url`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{}',
      });
      const text = run.output();

      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(devServer);
      expect(list.headers.get('access-control-allow-origin')).toBe(devServer);
      expect(fromTheDemoPage.headers.get('access-control-allow-origin')).toBe(apiUrl);
      const streams = ((await list.json()) as { streams: { stream: string }[] }).streams;
      expect(streams.map((entry) => entry.stream)).toEqual(['my-camera']);
      expect(vend.status).toBe(200);
      expect(text).toMatch(new RegExp(`CORS origins\\s+${apiUrl}, http://localhost:\\d+, ${devServer}`));
      expect(text).toContain(`streams of ${streamsFile}`);
      expect(text).toContain('up to 3 instances (LOCAL_LAMBDA_CONCURRENCY)');
      expect(text).toMatch(/"type":"platform\.initReport","record":\{"instanceId":"instance-1"/);
      // The AWS SDK's notice about Node.js 20 is not printed, by the process or by any instance.
      expect(text).not.toContain('NodeVersionSupportWarning');
    } finally {
      await stop(run);
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("names KVS_STREAMS_FILE and the entry when an entry's media is not an MP4 file, and exits 1", async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'npm-start-media-'));
    try {
      const streamsFile = join(scratch, 'streams.json');
      writeFileSync(
        streamsFile,
        JSON.stringify([
          { name: 'fine', retentionHours: 1 },
          { name: 'passwd', retentionHours: 1, media: { source: '/etc/passwd' } },
        ]),
      );
      const run = startProcess({ KVS_STREAMS_FILE: streamsFile });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        `KVS_STREAMS_FILE ${streamsFile}: streams[1]: /etc/passwd is not an MP4 file with a movie header (moov)`,
      );
      expect(run.output()).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it.each([
    ['LOCAL_LAMBDA_CONCURRENCY', 'many', 'LOCAL_LAMBDA_CONCURRENCY must be a whole number of at least 1'],
    ['KVS_STREAMS_FILE', '/nonexistent/streams.json', 'KVS_STREAMS_FILE /nonexistent/streams.json: ENOENT'],
    // Checked by the function itself when its first instance initialises, as a deployment would.
    ['ALLOWED_ORIGINS', 'localhost:5173', 'ALLOWED_ORIGINS must be a comma-separated list of exact origins'],
  ])('names a bad %s, without a stack trace, and exits 1', async (variable, value, message) => {
    const run = startProcess({ [variable]: value });
    const code = await run.exited;

    expect(code).toBe(1);
    expect(run.output()).toContain(message);
    expect(run.output()).not.toMatch(/^\s+at /m);
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
