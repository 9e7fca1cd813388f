import type { Metafile } from 'esbuild';

export interface Contributor {
  readonly name: string;
  readonly bytes: number;
}

/** `node_modules/@scope/pkg/dist/x.js` → `@scope/pkg`; own sources → their top folder (`lambda`). */
export function packageOf(inputPath: string): string {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at === -1) {
    const [top] = inputPath.replace(/^\.\//, '').split('/');
    return top && top !== inputPath ? `(own) ${top}` : '(own)';
  }
  const parts = inputPath.slice(at + marker.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? inputPath);
}

/** Bytes each package contributes to the minified output, largest first. */
export function topContributors(metafile: Metafile, limit: number): Contributor[] {
  const totals = new Map<string, number>();
  for (const [outputPath, output] of Object.entries(metafile.outputs)) {
    if (outputPath.endsWith('.map')) continue;
    for (const [inputPath, input] of Object.entries(output.inputs)) {
      const name = packageOf(inputPath);
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit);
}
