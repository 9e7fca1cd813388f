import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PACKAGE = join(ROOT, 'packages', 'client');

describe('client package', () => {
  const work = mkdtempSync(join(tmpdir(), 'kvs-client-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has types generated from openapi.yaml exactly as committed (regenerate: npm run generate -w packages/client)', () => {
    const generated = join(work, 'api.ts');

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
      readFileSync(join(PACKAGE, 'src', 'generated', 'api.ts'), 'utf8'),
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

  it('packs a tarball that installs into an empty project, where the README examples typecheck against it', () => {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    // `npm pack` builds first (prepack), as it would for a release.
    execFileSync('npm', ['pack', '-w', 'packages/client', '--pack-destination', packDir, '--silent'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const tarballs = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(packDir, tarballs[0]!)],
      { cwd: app, stdio: 'pipe' },
    );
    // The app brings its own player, as the README says: this repository's hls.js stands in for it.
    symlinkSync(join(ROOT, 'node_modules', 'hls.js'), join(app, 'node_modules', 'hls.js'), 'dir');
    const installed = join(app, 'node_modules', '@kvs-url-vending', 'client', 'dist');
    expect(readdirSync(join(installed, 'generated'))).toContain('api.d.ts');

    // Every TypeScript example of the README that imports the package, compiled as a consumer would.
    const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .filter((code) => code.includes("from '@kvs-url-vending/client'"));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    examples.forEach((code, index) => writeFileSync(join(app, `example-${index}.ts`), code));
    writeFileSync(join(app, 'globals.d.ts'), 'declare const auth: { idToken(): Promise<string> };\n');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        include: ['*.ts'],
      }),
    );
    let compiled = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      compiled = 'ok';
    } catch (error) {
      compiled = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(compiled).toBe('ok');
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
