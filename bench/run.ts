import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { describeMachine, machineLine } from './lib/machine';
import { failures, markdownTable, type ScenarioResult } from './lib/report';
import { SCENARIOS, type ScenarioDefinition } from './scenarios';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');

function runScenario(scenario: ScenarioDefinition, workDir: string): Promise<ScenarioResult> {
  const outFile = join(workDir, `${scenario.id}.json`);
  rmSync(outFile, { force: true });
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const logFile = join(workDir, `${scenario.id}.log`);
    const log = openSync(logFile, 'w');
    const child = spawn(
      process.execPath,
      [
        ...scenario.nodeFlags,
        '--import',
        'tsx',
        join(ROOT, 'bench', 'scenario-main.ts'),
        scenario.id,
        outFile,
        workDir,
      ],
      // The handler logs to stdout as in Lambda; that goes to a file so the table stays readable, and so
      // do the JSON lines it writes to stderr (errors). The scenario's own progress lines stay on screen.
      { cwd: ROOT, stdio: ['ignore', log, 'pipe'], env: process.env },
    );
    const errors = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    errors.on('line', (line) => {
      if (line.startsWith('{')) appendFileSync(logFile, `${line}\n`);
      else process.stderr.write(`${line}\n`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), scenario.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(log);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0 && existsSync(outFile)) {
        process.stderr.write(`  ${scenario.id}: done in ${seconds} s\n`);
        resolvePromise(JSON.parse(readFileSync(outFile, 'utf8')) as ScenarioResult);
        return;
      }
      const why = signal ? `killed by ${signal} after ${seconds} s` : `exited with code ${code}`;
      process.stderr.write(`  ${scenario.id}: ${why}\n`);
      resolvePromise({ id: scenario.id, title: scenario.title, figures: [], notes: [], error: why });
    });
  });
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.argv.slice(2);
  const unknown = only.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  }
  const selected = only.length > 0 ? SCENARIOS.filter((scenario) => only.includes(scenario.id)) : SCENARIOS;
  mkdirSync(RESULTS, { recursive: true });
  const machine = describeMachine();
  process.stderr.write(`bench${quick ? ' (quick)' : ''} on ${machineLine(machine)}\n`);

  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    process.stderr.write(`running ${scenario.id}…\n`);
    results.push(await runScenario(scenario, RESULTS));
  }
  const totalSeconds = (Date.now() - started) / 1000;

  const table = markdownTable(results);
  const notes = results.flatMap((result) => result.notes.map((note) => `- ${result.title}: ${note}`));
  const text = [
    `Machine: ${machineLine(machine)}. Mode: ${quick ? 'quick' : 'full'}. Wall time ${totalSeconds.toFixed(0)} s.`,
    '',
    table,
    '',
    ...notes,
  ].join('\n');
  process.stdout.write(`\n${text}\n`);

  const complete = only.length === 0;
  const report = { generatedAt: new Date().toISOString(), quick, complete, machine, totalSeconds, results };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), `${text}\n`);
  const failed = failures(results);
  process.stderr.write(
    `\nwrote bench/results/ (latest.md, latest.json${existsSync(join(RESULTS, 'cold-burst.svg')) ? ', cold-burst.svg' : ''}); npm run bench:record copies them beside bench/LATEST.md; ${failed === 0 ? 'every target met' : `${failed} target(s) missed or errored`}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
