// Size of what an app ships: each entry point bundled by esbuild, minified, then gzipped.
// Usage: npm run size -w packages/client [-- --json]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cases = {
  'everything (index + hls + dash)':
    "export * from './src/index.ts'; export * from './src/hls.ts'; export * from './src/dash.ts';",
  'index (client + session)': "export * from './src/index.ts';",
  'createClient only': "export { createClient } from './src/index.ts';",
  'hls adapter + session':
    "export * from './src/hls.ts'; export { createClient, createPlaybackSession } from './src/index.ts';",
  'dash adapter + session':
    "export * from './src/dash.ts'; export { createClient, createPlaybackSession } from './src/index.ts';",
};

const results = {};
for (const [name, contents] of Object.entries(cases)) {
  const output = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = output.outputFiles[0].contents;
  results[name] = {
    minified: code.length,
    gzipped: gzipSync(code, { level: 9 }).length,
    text: Buffer.from(code).toString('utf8'),
  };
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(results));
} else {
  for (const [name, { minified, gzipped }] of Object.entries(results)) {
    process.stdout.write(
      `${name.padEnd(34)} ${String(minified).padStart(6)} B minified  ${String(gzipped).padStart(5)} B gzipped\n`,
    );
  }
}
