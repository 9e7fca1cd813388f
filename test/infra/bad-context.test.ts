import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from './synth-app';

/** `npx cdk synth -c kvsUrlVending=...` as a user types it, offline. */
function synthWith(context: string): { status: number | null; output: string } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'kvs-url-vending-bad-context-'));
  try {
    const result = spawnSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '--output', outdir, '-c', `kvsUrlVending=${context}`],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          AWS_EC2_METADATA_DISABLED: 'true',
          CDK_DISABLE_CLI_TELEMETRY: 'true',
        },
        timeout: 120_000,
      },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('a bad -c kvsUrlVending', () => {
  it.each([
    ['a missing key', '{"issuer":"https://issuer.example.com/"}', 'kvsUrlVending.audience'],
    ['text that is not JSON', '{issuer:', 'kvsUrlVending: not valid JSON.'],
  ])(
    'prints the message for %s, without a stack trace',
    (_case, context, expected) => {
      const { status, output } = synthWith(context);

      expect(status).not.toBe(0);
      expect(output).toContain(expected);
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain('ConfigurationError');
    },
    120_000,
  );
});
