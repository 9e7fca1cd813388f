import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The package stands on its own: no file reaches outside its folder (into the repository around it),
 * and every package it imports is declared in its package.json — the library's own code in
 * `dependencies`, tests and scripts in `devDependencies` as well.
 */
const PACKAGE_DIR = resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface SourceFile {
  /** Absolute path. */
  readonly file: string;
  readonly text: string;
}

function sourceFiles(folder: string): SourceFile[] {
  return readdirSync(join(PACKAGE_DIR, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|cts|mts|cjs|js)$/.test(file))
    .map((file) => join(PACKAGE_DIR, folder, file))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** Every module specifier of a file: static and dynamic imports, re-exports, require() calls. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

/** `zod` → zod, `@smithy/signature-v4/x` → @smithy/signature-v4, `node:fs` → undefined (a builtin). */
function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

interface Finding {
  readonly file: string;
  readonly specifier: string;
}

function findings(
  files: readonly SourceFile[],
  allowed: ReadonlySet<string>,
): { leaving: Finding[]; undeclared: Finding[] } {
  const leaving: Finding[] = [];
  const undeclared: Finding[] = [];
  for (const { file, text } of files) {
    for (const specifier of specifiers(text)) {
      const at = { file: relative(PACKAGE_DIR, file), specifier };
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (target !== PACKAGE_DIR && !target.startsWith(PACKAGE_DIR + sep)) leaving.push(at);
        continue;
      }
      const name = packageName(specifier);
      if (name !== undefined && !allowed.has(name)) undeclared.push(at);
    }
  }
  return { leaving, undeclared };
}

describe('the package boundary', () => {
  const runtime = new Set(Object.keys(manifest.dependencies));
  const development = new Set([...runtime, ...Object.keys(manifest.devDependencies)]);

  it('finds the files and the imports it checks', () => {
    const library = sourceFiles('src');
    expect(library.map(({ file }) => relative(PACKAGE_DIR, file))).toEqual(
      expect.arrayContaining([join('src', 'index.ts'), join('src', 'media', 'mpeg-ts-muxer.ts')]),
    );
    const verifier = library.find(({ file }) => file.endsWith('sigv4-verifier.ts'));
    expect(specifiers(verifier!.text)).toContain('@smithy/signature-v4');
  });

  it('library code imports nothing outside the package and only its declared dependencies', () => {
    expect(findings(sourceFiles('src'), runtime)).toEqual({ leaving: [], undeclared: [] });
  });

  it('tests, scripts and the bin launcher import nothing outside the package, only declared packages', () => {
    const files = [...sourceFiles('test'), ...sourceFiles('scripts'), ...sourceFiles('bin')];
    expect(findings(files, development)).toEqual({ leaving: [], undeclared: [] });
  });

  it('reports an import that leaves the package, and a package the manifest does not declare', () => {
    const probe: SourceFile = {
      file: join(PACKAGE_DIR, 'src', 'media', 'probe.ts'),
      text: [
        "import { DomainError } from '../../../../lambda/core/errors';",
        "import type { MediaClip } from './types';",
        "import { Logger } from '@aws-lambda-powertools/logger';",
        "import { z } from 'zod/v4';",
        "const fs = require('node:fs');",
        "export const later = () => import('../../../client/src/index');",
      ].join('\n'),
    };
    expect(findings([probe], runtime)).toEqual({
      leaving: [
        { file: join('src', 'media', 'probe.ts'), specifier: '../../../../lambda/core/errors' },
        { file: join('src', 'media', 'probe.ts'), specifier: '../../../client/src/index' },
      ],
      undeclared: [{ file: join('src', 'media', 'probe.ts'), specifier: '@aws-lambda-powertools/logger' }],
    });
  });
});
