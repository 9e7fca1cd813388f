import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { topContributors } from '../lib/bundle-contributors';
import type { BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { median, ratio } from '../lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const HANDLER_ENTRY = join(ROOT, 'lambda', 'vend', 'handler.ts');

/**
 * The esbuild options of the CDK stack's vend function (NodejsFunction: minify, sourceMap, target
 * node22, mainFields module,main, AWS SDK bundled, CommonJS output as NodejsFunction's default).
 */
export const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  metafile: true,
  logLevel: 'silent',
};

/** Enough configuration for the handler module to initialise as in production (JWKS, DynamoDB grants). */
const HANDLER_ENV: Record<string, string> = {
  JWT_ISSUER: 'https://issuer.bench.invalid/',
  JWT_AUDIENCE: 'kvs-url-vending',
  JWT_JWKS_URL: 'https://issuer.bench.invalid/.well-known/jwks.json',
  GRANTS_TABLE_NAME: 'bench-grants',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

/** Loads a bundle the way the Lambda runtime does (require at init) and reports how long it took. */
const LOADER = `const { performance } = require('node:perf_hooks');
const started = performance.now();
require(process.argv[2]);
process.stdout.write(JSON.stringify({ loadMs: performance.now() - started }));
`;

interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

async function bundle(options: BuildOptions, outfile: string): Promise<Bundle> {
  const result = await build({ ...LAMBDA_BUNDLING, ...options, outfile });
  return { file: outfile, bytes: statSync(outfile).size, metafile: result.metafile! };
}

function loadOnce(loader: string, file: string): number {
  const child = spawnSync(process.execPath, [loader, file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...HANDLER_ENV },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) {
    throw new Error(`loading ${file} failed (exit ${child.status}): ${child.stderr.slice(0, 500)}`);
  }
  return (JSON.parse(child.stdout) as { loadMs: number }).loadMs;
}

const kb = (bytes: number): number => bytes / 1024;

export async function runColdStart(options: BenchOptions): Promise<ScenarioResult> {
  const dir = join(options.workDir, 'cold-start');
  mkdirSync(dir, { recursive: true });
  const loader = join(dir, 'loader.cjs');
  writeFileSync(loader, LOADER);
  if (!existsSync(HANDLER_ENTRY)) {
    return {
      id: 'cold-start',
      title: '3. Cold start',
      figures: [],
      notes: [],
      error: 'lambda/vend/handler.ts does not exist yet',
    };
  }

  const production = await bundle({ entryPoints: [HANDLER_ENTRY] }, join(dir, 'handler', 'index.js'));
  const minimal = await bundle(
    {
      stdin: {
        contents: `import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
export const client = new KinesisVideoArchivedMediaClient({ region: process.env.AWS_REGION });`,
        resolveDir: ROOT,
        loader: 'ts',
        sourcefile: 'minimal-entry.ts',
      },
    },
    join(dir, 'minimal', 'index.js'),
  );

  const runs = options.quick ? 10 : 15;
  // One unmeasured load each warms the OS file cache so the first measured run is not an outlier.
  loadOnce(loader, production.file);
  loadOnce(loader, minimal.file);
  const productionMs: number[] = [];
  const minimalMs: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    // Alternating keeps drift of a shared machine from favouring either side.
    productionMs.push(loadOnce(loader, production.file));
    minimalMs.push(loadOnce(loader, minimal.file));
  }
  const productionMedian = median(productionMs);
  const minimalMedian = median(minimalMs);
  const contributors = topContributors(production.metafile, 10);

  const figures: Figure[] = [
    {
      name: 'vend bundle size (minified)',
      value: kb(production.bytes),
      unit: 'KB',
      digits: 0,
      target: { op: '<=', value: 500 },
    },
    {
      name: 'minimal bundle size (archived-media client only)',
      value: kb(minimal.bytes),
      unit: 'KB',
      digits: 0,
    },
    { name: `vend bundle load+init (median of ${runs})`, value: productionMedian, unit: 'ms', digits: 1 },
    { name: `minimal bundle load+init (median of ${runs})`, value: minimalMedian, unit: 'ms', digits: 1 },
    {
      name: 'init ratio vend / minimal',
      value: ratio(productionMedian, minimalMedian),
      unit: '×',
      target: { op: '<=', value: 2 },
    },
  ];
  return {
    id: 'cold-start',
    title: '3. Cold start',
    figures,
    notes: [
      `esbuild ${LAMBDA_BUNDLING.format}, minify, sourcemap, target ${String(LAMBDA_BUNDLING.target)}, mainFields ${(LAMBDA_BUNDLING.mainFields ?? []).join(',')}, AWS SDK bundled; load+init = require() of the bundle in a fresh node process, ${runs} alternating runs each.`,
      `Largest contributors to the vend bundle: ${contributors.map((c) => `${c.name} ${kb(c.bytes).toFixed(0)} KB`).join(', ')}.`,
    ],
    details: {
      productionBytes: production.bytes,
      minimalBytes: minimal.bytes,
      productionMs,
      minimalMs,
      contributors,
    },
  };
}
