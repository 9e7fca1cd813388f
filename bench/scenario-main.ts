import { writeFileSync } from 'node:fs';
import { SCENARIOS } from './scenarios';

/** Child-process entry of `bench/run.ts`: runs one scenario and writes its result as JSON. */
async function main(): Promise<void> {
  const [id, outFile, workDir] = process.argv.slice(2);
  const scenario = SCENARIOS.find((candidate) => candidate.id === id);
  if (!scenario || !outFile || !workDir) {
    throw new Error(`usage: scenario-main <${SCENARIOS.map((s) => s.id).join('|')}> <out.json> <work dir>`);
  }
  const result = await scenario.run({ quick: process.env.BENCH_QUICK === '1', workDir });
  writeFileSync(outFile, JSON.stringify(result, null, 2));
}

main().then(
  // Open handles (keep-alive sockets, emulator timers) must not keep a finished scenario alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
