import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * `npm run bench:record`: the explicit step that makes the last `npm run bench` the committed reference.
 * `npm run bench` writes only under the ignored bench/results/; this copies its table to bench/LATEST.md
 * and its pictures beside it. Only a full run of every scenario is recorded.
 */
const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const PICTURES = ['cold-burst.svg'];

function main(): void {
  const latest = join(RESULTS, 'latest.json');
  if (!existsSync(latest)) throw new Error('no bench/results/latest.json: run npm run bench first');
  const report = JSON.parse(readFileSync(latest, 'utf8')) as { quick: boolean; complete?: boolean };
  if (report.quick || report.complete !== true) {
    throw new Error('the last run was quick or ran only some scenarios: record a full npm run bench');
  }
  const text = readFileSync(join(RESULTS, 'latest.md'), 'utf8');
  writeFileSync(join(ROOT, 'bench', 'LATEST.md'), `# Latest benchmark (\`npm run bench\`)\n\n${text}`);
  for (const picture of PICTURES) {
    const from = join(RESULTS, picture);
    if (existsSync(from)) copyFileSync(from, join(ROOT, 'bench', picture));
  }
  process.stderr.write(`recorded bench/LATEST.md and ${PICTURES.map((p) => `bench/${p}`).join(', ')}\n`);
}

main();
