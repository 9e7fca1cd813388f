import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import * as api from '../../src/index';

/**
 * One entry point, and only what another project needs from it: start the emulator, describe its
 * streams, set its quotas and faults, drive its clock. Anything else exported from it would become
 * a promise to keep.
 */
const PACKAGE_DIR = resolve(__dirname, '..', '..');
const ENTRY = join(PACKAGE_DIR, 'src', 'index.ts');

const PUBLIC_VALUES = [
  'DEFAULT_LIMITS',
  'DEFAULT_QUOTAS',
  'StreamConfigError',
  'createManualClock',
  'loadStreamConfigs',
  'parseStreamConfigs',
  'startKvsEmulator',
];
const PUBLIC_TYPES = [
  'EmulatorOptions',
  'Faults',
  'InjectableError',
  'Limits',
  'LocalCredentials',
  'ManualClock',
  'Quotas',
  'RunningEmulator',
  'StreamConfig',
  'StreamMedia',
];

/** Every name the entry module exports, types included, as the compiler sees them. */
function exportedNames(): string[] {
  const program = ts.createProgram([ENTRY], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!);
  return checker
    .getExportsOfModule(symbol!)
    .map((exported) => exported.name)
    .sort();
}

describe('the public API', () => {
  it('exports exactly the documented values and types from its one entry point', () => {
    expect(Object.keys(api).sort()).toEqual(PUBLIC_VALUES);
    expect(exportedNames()).toEqual([...PUBLIC_VALUES, ...PUBLIC_TYPES].sort());
  });

  it('is the only way in: package.json exports the entry point and its manifest, nothing deeper', () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
    };
    expect(manifest.exports).toEqual({ '.': './src/index.ts', './package.json': './package.json' });
  });

  it('the README documents every public name', () => {
    const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
    const missing = [...PUBLIC_VALUES, ...PUBLIC_TYPES].filter((name) => !readme.includes(`\`${name}`));
    expect(missing).toEqual([]);
  });
});
