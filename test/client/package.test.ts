import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PACKAGE = join(ROOT, 'packages', 'client');

describe('client package', () => {
  const work = mkdtempSync(join(tmpdir(), 'kvs-client-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has types generated from openapi.yaml exactly as committed (regenerate: npm run generate -w packages/client)', () => {
    const generated = join(work, 'api.d.ts');

    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'),
        join(ROOT, 'openapi.yaml'),
        '--default-non-nullable',
        'false',
        '-o',
        generated,
      ],
      { stdio: 'pipe' },
    );

    expect(readFileSync(generated, 'utf8')).toBe(
      readFileSync(join(PACKAGE, 'src', 'generated', 'api.d.ts'), 'utf8'),
    );
  });

  it('builds to ES modules with declarations that Node.js imports', () => {
    const outDir = join(work, 'dist');
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(PACKAGE, 'tsconfig.build.json'),
        '--outDir',
        outDir,
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
    const probe = `
      const index = await import(${JSON.stringify(join(outDir, 'index.js'))});
      const hls = await import(${JSON.stringify(join(outDir, 'hls.js'))});
      const dash = await import(${JSON.stringify(join(outDir, 'dash.js'))});
      console.log(JSON.stringify([Object.keys(index).sort(), Object.keys(hls), Object.keys(dash)]));`;

    const exported = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }),
    ) as string[][];
    const declarations = readFileSync(join(outDir, 'index.d.ts'), 'utf8');

    expect(exported).toEqual([
      ['ActiveSession', 'ApiError', 'createClient', 'createPlaybackSession', 'isApiError', 'systemClock'],
      ['playWithHls'],
      ['playWithDash'],
    ]);
    expect(declarations).toContain('createPlaybackSession');
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ type: 'module', sideEffects: false });
    expect(manifest.dependencies).toBeUndefined();
  });

  it('stays small and tree-shakes: sizes as `npm run size -w packages/client` prints them', () => {
    const sizes = JSON.parse(
      execFileSync(process.execPath, [join(PACKAGE, 'scripts', 'size.mjs'), '--json'], { encoding: 'utf8' }),
    ) as Record<string, { minified: number; gzipped: number; text: string }>;

    const everything = sizes['everything (index + hls + dash)']!;
    const clientOnly = sizes['createClient only']!;
    expect(everything.gzipped).toBeLessThan(8 * 1024);
    expect(clientOnly.gzipped).toBeLessThan(everything.gzipped / 2);
    // An app that only calls the API carries no playback-session or player code.
    expect(clientOnly.text).not.toContain('renewal-scheduled');
    expect(clientOnly.text).not.toContain('EXT-X-MEDIA-SEQUENCE');
    expect(sizes['hls adapter + session']!.text).not.toContain('startNumber');
  });
});
