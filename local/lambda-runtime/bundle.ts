import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, type OutputFile } from 'esbuild';
import { asDeployedBundling, stackBundling } from '../../lib/vend-bundling';

const REPO_ROOT = resolve(__dirname, '..', '..');
/** Git-ignored, next to the identity provider's signing key. */
export const DEFAULT_BUNDLE_DIR = join(REPO_ROOT, '.local', 'lambda');
const HANDLER_ENTRY = join(REPO_ROOT, 'lambda', 'vend', 'handler.ts');
/** The admin function's handler module (bundled the same way). */
export const ADMIN_HANDLER_ENTRY = join(REPO_ROOT, 'lambda', 'admin', 'handler.ts');
const INSTANCE_ENTRY = join(__dirname, 'instance.ts');
/** Builds of other sources than the current one are removed once unused for this long. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

export interface FunctionBundle {
  /** The handler module as the stack bundles it (lib/vend-bundling.ts). */
  readonly handlerFile: string;
  /** Its export Lambda calls (`index.handler`). */
  readonly handlerName: string;
  /** What each instance runs in its worker thread (instance.ts, bundled). */
  readonly runtimeFile: string;
  /** Node.js flags the function runs with (`--enable-source-maps` when the stack sets it). */
  readonly execArgv: readonly string[];
  readonly handlerBytes: number;
  /** How long bundling took. */
  readonly buildMs: number;
}

/**
 * Bundles a function (the vend function unless `entry` names another, such as the media function) exactly
 * as the stack does, plus the instance runtime, into `<outDir>/<name>-<content hash>/`. Each file is written under a temporary name and renamed, and the
 * directory is named by what it holds, so several local stacks (parallel jest workers) can build at once
 * without one loading the half-written file of another.
 */
export async function buildFunctionBundle(
  options: { outDir?: string; entry?: string; name?: string } = {},
): Promise<FunctionBundle> {
  const name = options.name ?? 'vend';
  const started = performance.now();
  const outDir = options.outDir ?? DEFAULT_BUNDLE_DIR;
  const stack = stackBundling();
  const extension = stack.format === 'esm' ? 'mjs' : 'js';
  const staging = join(outDir, 'staging');
  const [handler, runtime] = await Promise.all([
    build({
      ...asDeployedBundling(stack),
      entryPoints: [options.entry ?? HANDLER_ENTRY],
      outfile: join(staging, `index.${extension}`),
      metafile: false,
      write: false,
    }),
    build({
      entryPoints: [INSTANCE_ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      outfile: join(staging, 'runtime.mjs'),
      logLevel: 'silent',
      write: false,
    }),
  ]);
  const files = [...handler.outputFiles, ...runtime.outputFiles];
  const hash = createHash('sha256');
  for (const file of files) hash.update(basename(file.path)).update(file.contents);
  const dir = join(outDir, `${name}-${hash.digest('hex').slice(0, 16)}`);
  writeOnce(dir, files);
  pruneStale(outDir, dir, name);

  const handlerFile = join(dir, `index.${extension}`);
  return {
    handlerFile,
    handlerName: 'handler',
    runtimeFile: join(dir, 'runtime.mjs'),
    execArgv: stack.enableSourceMaps ? ['--enable-source-maps'] : [],
    handlerBytes: statSync(handlerFile).size,
    buildMs: performance.now() - started,
  };
}

function writeOnce(dir: string, files: readonly OutputFile[]): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const target = join(dir, basename(file.path));
    if (existsSync(target)) continue;
    const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, target);
  }
  const now = new Date();
  utimesSync(dir, now, now);
}

function pruneStale(outDir: string, current: string, name: string): void {
  const cutoff = Date.now() - STALE_AFTER_MS;
  for (const entry of readdirSync(outDir)) {
    const path = join(outDir, entry);
    if (path === current || !entry.startsWith(`${name}-`)) continue;
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another local stack meanwhile.
    }
  }
}
