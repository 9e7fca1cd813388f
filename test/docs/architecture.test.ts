import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DOC = readFileSync(resolve(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
const SOURCE_ROOTS = ['bin/', 'lib/', 'lambda/', 'local/', 'packages/', 'test/', 'bench/', 'docs/'];

/** Every `path` of the document that names a file or folder of the repository. */
function pathsCited(text: string): string[] {
  const cited = [...text.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!);
  return [...new Set(cited.filter((path) => SOURCE_ROOTS.some((root) => path.startsWith(root))))];
}

describe('docs/ARCHITECTURE.md', () => {
  it('names only files and folders that exist, so the map follows the code when it moves', () => {
    const cited = pathsCited(DOC);
    const missing = cited.filter((path) => !existsSync(resolve(ROOT, path.replace(/\/$/, ''))));

    expect(cited.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('is the architecture document the sources cite', () => {
    const citing = ['lambda/core/model.ts', 'lib/constructs/vend-api.ts', 'local/api-gateway/routes.ts'];

    for (const file of citing) {
      expect(readFileSync(resolve(ROOT, file), 'utf8')).toContain('docs/ARCHITECTURE.md');
    }
    expect(DOC).toMatch(/^## Glossary$/m);
    expect(DOC).toMatch(/^## The layering rule$/m);
  });
});
