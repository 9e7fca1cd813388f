import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The package as it would be published: `npm run build` compiles it to CommonJS with declarations
 * and writes a manifest that points at the compiled files. The built copy must run on plain Node.js
 * (no tsx), find its fixtures and demo streams, and pack only what a user needs.
 */
const PACKAGE_DIR = resolve(__dirname, '..', '..');
const TSX_CLI = require.resolve('tsx/cli');
const run = promisify(execFile);

interface BuiltManifest {
  private?: boolean;
  main: string;
  types: string;
  exports: Record<string, { types: string; default: string } | string>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: unknown;
  scripts?: unknown;
}

/** The node_modules folder this repository installed the package's dependencies into. */
function installedNodeModules(): string {
  const folder = require.resolve.paths('zod')?.find((candidate) => existsSync(join(candidate, 'zod')));
  if (!folder) throw new Error('zod is not installed');
  return folder;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('the built package', () => {
  let workDir: string;
  let outDir: string;
  let manifest: BuiltManifest;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'kvs-emulator-build-'));
    outDir = join(workDir, 'kvs-emulator');
    // Resolve the built package's dependencies the way an installed copy would: from a
    // node_modules folder above it.
    symlinkSync(installedNodeModules(), join(workDir, 'node_modules'), 'dir');
    await run(process.execPath, [TSX_CLI, join(PACKAGE_DIR, 'scripts', 'build.ts'), '--out-dir', outDir], {
      cwd: PACKAGE_DIR,
      timeout: 120_000,
    });
    manifest = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8')) as BuiltManifest;
  }, 150_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('has a publishable manifest: compiled entry point with declarations, a bin, runtime dependencies only', () => {
    const source = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as BuiltManifest;
    expect(manifest.private).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.dependencies).toEqual(source.dependencies);
    expect(manifest.exports['.']).toEqual({ types: './lib/index.d.ts', default: './lib/index.js' });
    for (const file of [manifest.main, manifest.types, ...Object.values(manifest.bin)]) {
      expect(existsSync(join(outDir, file))).toBe(true);
    }
    const cli = join(outDir, manifest.bin['kvs-emulator']!);
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(cli).mode & 0o111).not.toBe(0);
  });

  it('ships JavaScript and declarations, no TypeScript sources', () => {
    const files = readdirSync(join(outDir, 'lib'), { recursive: true, encoding: 'utf8' }).filter((file) =>
      /\.[a-z]+$/.test(file),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'cli.js']));
    const declarations = readFileSync(join(outDir, 'lib', 'index.d.ts'), 'utf8');
    expect(declarations).toContain('startKvsEmulator');
  });

  it('carries the fixtures byte for byte and the demo streams', () => {
    const fixtures = readdirSync(join(PACKAGE_DIR, 'fixtures')).sort();
    expect(readdirSync(join(outDir, 'fixtures')).sort()).toEqual(fixtures);
    for (const name of fixtures) {
      expect(sha256(join(outDir, 'fixtures', name))).toBe(sha256(join(PACKAGE_DIR, 'fixtures', name)));
    }
    expect(readFileSync(join(outDir, 'streams.json'), 'utf8')).toBe(
      readFileSync(join(PACKAGE_DIR, 'streams.json'), 'utf8'),
    );
  });

  it('packs the README, the fixtures, the streams and lib/, nothing else', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: outDir,
      timeout: 60_000,
    });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const tops = new Set(packed.files.map(({ path }) => path.split('/')[0]));
    expect([...tops].sort()).toEqual(['README.md', 'fixtures', 'lib', 'package.json', 'streams.json']);
  });

  it('runs on plain Node.js: starts the demo streams from its own fixtures and answers', async () => {
    const script = `
      const { startKvsEmulator, DEFAULT_QUOTAS } = require(${JSON.stringify(outDir)});
      startKvsEmulator({ port: 0 }).then(async (emulator) => {
        const counters = await fetch(emulator.endpoint + '/_admin/counters');
        const time = await fetch(emulator.endpoint + '/utc-time');
        process.stdout.write(JSON.stringify({
          counters: counters.status,
          time: time.status,
          quota: DEFAULT_QUOTAS.sessionUrlPerStream,
        }));
        await emulator.stop();
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: workDir, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ counters: 200, time: 200, quota: 25 });
  });

  it('makes GetImages pictures on its worker threads from the compiled files, without tsx', async () => {
    const script = `
      const { KinesisVideoClient, GetDataEndpointCommand } = require('@aws-sdk/client-kinesis-video');
      const { KinesisVideoArchivedMediaClient, GetImagesCommand } = require('@aws-sdk/client-kinesis-video-archived-media');
      const { startKvsEmulator } = require(${JSON.stringify(outDir)});
      startKvsEmulator({ port: 0 }).then(async (emulator) => {
        const options = { region: emulator.region, credentials: emulator.credentials };
        const kvs = new KinesisVideoClient({ ...options, endpoint: emulator.endpoint });
        const { DataEndpoint } = await kvs.send(
          new GetDataEndpointCommand({ StreamName: 'front-door', APIName: 'GET_IMAGES' }));
        const media = new KinesisVideoArchivedMediaClient({ ...options, endpoint: DataEndpoint });
        const at = emulator.now() - 120000;
        const { Images } = await media.send(new GetImagesCommand({
          StreamName: 'front-door', ImageSelectorType: 'SERVER_TIMESTAMP', Format: 'PNG',
          StartTimestamp: new Date(at), EndTimestamp: new Date(at), WidthPixels: 64, HeightPixels: 36 }));
        const png = Buffer.from(Images[0].ImageContent, 'base64');
        process.stdout.write(JSON.stringify({
          signature: png.subarray(1, 4).toString('latin1'), width: png.readUInt32BE(16) }));
        kvs.destroy();
        media.destroy();
        await emulator.stop();
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: workDir, timeout: 60_000 });
    expect(existsSync(join(outDir, 'lib', 'still-worker.js'))).toBe(true);
    expect(JSON.parse(stdout)).toEqual({ signature: 'PNG', width: 64 });
  });

  it('its CLI starts, prints where it listens, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(outDir, 'lib', 'cli.js'), '--port', '0'], {
      cwd: workDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) resolveEndpoint(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
      });
      expect((await fetch(`${endpoint}/_admin/counters`)).status).toBe(200);
      const exited = new Promise<number | null>((resolveCode) => child.once('exit', resolveCode));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
