/**
 * Builds the publishable form of the package: CommonJS + .d.ts in `lib/`, the fixtures, the demo
 * streams, the README and a package.json whose entry point and `bin` are the compiled files.
 *
 * In this repository the package runs from its TypeScript sources (its package.json `exports` point
 * at src/, and tsx, jest and tsc read them directly), so nothing here runs at install or test time.
 * To publish: `npm run build` in the package folder, then `npm publish dist`.
 *
 * Usage, in the package folder: tsx scripts/build.ts [--out-dir DIR]   (default dist)
 */
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const PACKAGE_DIR = resolve(__dirname, '..');

interface SourceManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly keywords: readonly string[];
  readonly license: string;
  readonly engines: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** The manifest of the built package: the compiled entry point and CLI, nothing for development. */
export function publishManifest(source: SourceManifest): Record<string, unknown> {
  return {
    name: source.name,
    version: source.version,
    description: source.description,
    keywords: source.keywords,
    license: source.license,
    engines: source.engines,
    main: './lib/index.js',
    types: './lib/index.d.ts',
    exports: {
      '.': { types: './lib/index.d.ts', default: './lib/index.js' },
      './package.json': './package.json',
    },
    bin: { 'kvs-emulator': './lib/cli.js' },
    files: ['lib', 'fixtures', 'streams.json', 'README.md'],
    dependencies: source.dependencies,
  };
}

function compile(libDir: string): void {
  const configFile = join(PACKAGE_DIR, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    { outDir: libDir },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const emitted = program.emit();
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0 || emitted.emitSkipped) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => PACKAGE_DIR,
      getNewLine: () => '\n',
    };
    throw new Error(`tsc failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
}

export function build(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  const libDir = join(outDir, 'lib');
  compile(libDir);
  chmodSync(join(libDir, 'cli.js'), 0o755);
  cpSync(join(PACKAGE_DIR, 'fixtures'), join(outDir, 'fixtures'), { recursive: true });
  for (const file of ['streams.json', 'README.md']) cpSync(join(PACKAGE_DIR, file), join(outDir, file));
  const source = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as SourceManifest;
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(publishManifest(source), null, 2)}\n`);
}

if (require.main === module) {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
  const outDir = resolve(values['out-dir'] ?? join(PACKAGE_DIR, 'dist'));
  try {
    build(outDir);
    process.stdout.write(`built ${outDir}\n`);
  } catch (error) {
    process.stderr.write(`build: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
