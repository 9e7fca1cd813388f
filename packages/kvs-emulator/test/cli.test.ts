import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KinesisVideoClient, ListStreamsCommand } from '@aws-sdk/client-kinesis-video';

/** The `kvs-emulator` command as this repository runs it (the bin launcher, from the sources). */
const BIN = resolve(__dirname, '..', 'bin', 'kvs-emulator.cjs');
const run = promisify(execFile);

interface Started {
  readonly child: ChildProcess;
  readonly endpoint: string;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolveStarted, reject) => {
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolveStarted({ child, endpoint: match[1] });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`kvs-emulator exited ${code}: ${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolveCode) => child.once('exit', resolveCode));
  child.kill('SIGTERM');
  return exited;
}

async function streamNames(endpoint: string): Promise<string[]> {
  const client = new KinesisVideoClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { StreamInfoList } = await client.send(new ListStreamsCommand({}));
    return (StreamInfoList ?? []).map((stream) => stream.StreamName ?? '').sort();
  } finally {
    client.destroy();
  }
}

describe('the kvs-emulator command', () => {
  let dir: string;
  const running: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvs-emulator-cli-'));
    writeFileSync(
      join(dir, 'flag.json'),
      JSON.stringify([{ name: 'from-flag', retentionHours: 1, media: 'fixture-video-only' }]),
    );
    writeFileSync(join(dir, 'env.json'), JSON.stringify([{ name: 'from-env', retentionHours: 1 }]));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(stop));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help prints the flags and their environment variables, and exits 0', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help'], { timeout: 30_000 });
    for (const text of ['--port', 'KVS_PORT', '--host', 'KVS_HOST', '--streams', 'KVS_STREAMS_FILE']) {
      expect(stdout).toContain(text);
    }
  });

  it.each([
    [['--port', 'eighty'], '--port must be a port number'],
    [['--port', '70000'], '--port must be a port number'],
    [['--verbose'], "Unknown option '--verbose'"],
    [['front-door'], 'positional'],
  ])('refuses %j with exit code 2 and the usage', async (args, message) => {
    const failure = await run(process.execPath, [BIN, ...args], { timeout: 30_000 }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain(message);
    expect(failure?.stderr).toContain('Usage: kvs-emulator');
  });

  it('serves the streams of --streams, which wins over KVS_STREAMS_FILE, on --port 0', async () => {
    const started = await start(['--port', '0', '--streams', join(dir, 'flag.json')], {
      KVS_STREAMS_FILE: join(dir, 'env.json'),
      KVS_PORT: '1',
    });
    running.push(started.child);
    expect(await streamNames(started.endpoint)).toEqual(['from-flag']);
  });

  it('reads KVS_STREAMS_FILE and KVS_PORT without flags, and exits 0 on SIGTERM', async () => {
    const started = await start([], { KVS_STREAMS_FILE: join(dir, 'env.json'), KVS_PORT: '0' });
    expect(await streamNames(started.endpoint)).toEqual(['from-env']);
    expect(await stop(started.child)).toBe(0);
  });
});
