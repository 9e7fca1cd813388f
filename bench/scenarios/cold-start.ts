import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { asDeployedBundling, LAMBDA_BUNDLING, stackBundling } from '../../lib/vend-bundling';
import { topContributors } from '../lib/bundle-contributors';
import type { BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { median, ratio } from '../lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const HANDLER_ENTRY = join(ROOT, 'lambda', 'vend', 'handler.ts');

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

/**
 * Loads a bundle the way the Lambda runtime does — `require` for CommonJS, `import` for an .mjs file —
 * and reports how long it took, module-level initialisation included.
 */
const LOADER = `import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
const file = process.argv[2];
const started = performance.now();
if (file.endsWith('.mjs')) await import(pathToFileURL(file).href);
else createRequire(import.meta.url)(file);
process.stdout.write(JSON.stringify({ loadMs: performance.now() - started }));
`;

interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

async function bundle(options: BuildOptions, outfile: string): Promise<Bundle> {
  const result = await build({ ...options, outfile });
  return { file: outfile, bytes: statSync(outfile).size, metafile: result.metafile! };
}

function loadOnce(loader: string, file: string, nodeFlags: readonly string[]): number {
  const child = spawnSync(process.execPath, [...nodeFlags, loader, file], {
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
  const loader = join(dir, 'loader.mjs');
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

  const stack = stackBundling();
  const { format, enableSourceMaps } = stack;
  const nodeFlags = enableSourceMaps ? ['--enable-source-maps'] : [];
  const extension = format === 'esm' ? 'mjs' : 'js';
  const formatOptions = asDeployedBundling(stack);
  const production = await bundle(
    { ...formatOptions, entryPoints: [HANDLER_ENTRY] },
    join(dir, 'handler', `index.${extension}`),
  );
  const minimal = await bundle(
    {
      ...formatOptions,
      stdin: {
        contents: `import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
export const client = new KinesisVideoArchivedMediaClient({ region: process.env.AWS_REGION });`,
        resolveDir: ROOT,
        loader: 'ts',
        sourcefile: 'minimal-entry.ts',
      },
    },
    join(dir, 'minimal', `index.${extension}`),
  );

  const runs = options.quick ? 11 : 21;
  // As deployed, plus — when the function runs with source maps — the same bundles without, to show that cost.
  const variants = [
    { key: 'vend', file: production.file, flags: nodeFlags },
    { key: 'minimal', file: minimal.file, flags: nodeFlags },
    ...(enableSourceMaps
      ? [
          { key: 'vendNoMaps', file: production.file, flags: [] },
          { key: 'minimalNoMaps', file: minimal.file, flags: [] },
        ]
      : []),
  ];
  const samples = new Map<string, number[]>(variants.map((variant) => [variant.key, []]));
  // One unmeasured load each warms the OS file cache so the first measured run is not an outlier.
  for (const variant of variants) loadOnce(loader, variant.file, variant.flags);
  for (let run = 0; run < runs; run += 1) {
    // Alternating keeps drift of a shared machine from favouring any side.
    for (const variant of variants)
      samples.get(variant.key)!.push(loadOnce(loader, variant.file, variant.flags));
  }
  const medianOf = (key: string): number => median(samples.get(key) ?? []);
  const productionMedian = medianOf('vend');
  const minimalMedian = medianOf('minimal');
  const contributors = topContributors(production.metafile, 12);

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
    {
      name: `vend bundle load+init (median of ${runs})`,
      value: productionMedian,
      unit: 'ms',
      digits: 1,
    },
    {
      name: `minimal bundle load+init (median of ${runs})`,
      value: minimalMedian,
      unit: 'ms',
      digits: 1,
    },
    {
      name: 'init ratio vend / minimal',
      value: ratio(productionMedian, minimalMedian),
      unit: '×',
      target: { op: '<=', value: 2 },
    },
    ...(enableSourceMaps
      ? [
          {
            name: 'vend bundle load+init without --enable-source-maps',
            value: medianOf('vendNoMaps'),
            unit: 'ms',
            digits: 1,
          },
          {
            name: 'init ratio vend / minimal, both without --enable-source-maps',
            value: ratio(medianOf('vendNoMaps'), medianOf('minimalNoMaps')),
            unit: '×',
          },
        ]
      : []),
  ];
  return {
    id: 'cold-start',
    title: '3. Cold start',
    figures,
    notes: [
      `esbuild ${format}, minify, sourcemap, target ${String(LAMBDA_BUNDLING.target)}, mainFields ${(LAMBDA_BUNDLING.mainFields ?? []).join(',')}, AWS SDK bundled but for the credential providers Lambda never loads, as lib/ builds it; load+init = import() (require() for CommonJS) of the bundle in a fresh node process${enableSourceMaps ? ' with --enable-source-maps as the function runs' : ''}, ${runs} alternating runs each.`,
      `Largest contributors to the vend bundle: ${contributors.map((c) => `${c.name} ${kb(c.bytes).toFixed(0)} KB`).join(', ')}.`,
    ],
    details: {
      productionBytes: production.bytes,
      minimalBytes: minimal.bytes,
      loadMs: Object.fromEntries(samples),
      contributors,
    },
  };
}
