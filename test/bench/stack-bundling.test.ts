import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackBundling } from '../../lib/vend-bundling';

describe('stackBundling', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-lib-'));
    mkdirSync(join(dir, 'constructs'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('follows a stack that bundles ES modules and runs with source maps', () => {
    writeFileSync(
      join(dir, 'constructs', 'vend-function.ts'),
      "const env = { NODE_OPTIONS: '--enable-source-maps' };\nconst bundling = { format: nodejs.OutputFormat.ESM };\n",
    );

    expect(stackBundling(dir)).toEqual({ format: 'esm', enableSourceMaps: true });
  });

  it("falls back to NodejsFunction's defaults: CommonJS, no source-map support", () => {
    writeFileSync(join(dir, 'constructs', 'vend-function.ts'), 'const bundling = { minify: true };\n');

    expect(stackBundling(dir)).toEqual({ format: 'cjs', enableSourceMaps: false });
    expect(stackBundling(join(dir, 'missing'))).toEqual({ format: 'cjs', enableSourceMaps: false });
  });
});
