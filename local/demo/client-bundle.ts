import { build } from 'esbuild';
import { resolve } from 'node:path';

const CLIENT_ROOT = resolve(__dirname, '..', '..', 'packages', 'client');

/** Where the demo page imports the client package from (an ES module). */
export const CLIENT_BUNDLE_PATH = '/vendor/kvs-url-vending-client.js';

/**
 * The client package as one browser ES module, built from its sources when the local stack starts, so
 * that `npm ci && npm start` needs no build step and the demo page always runs the package as it is.
 */
export async function bundleClient(): Promise<Buffer> {
  const result = await build({
    stdin: {
      contents: [
        "export * from './src/index.ts';",
        "export * from './src/hls.ts';",
        "export * from './src/dash.ts';",
      ].join('\n'),
      resolveDir: CLIENT_ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: false,
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}
