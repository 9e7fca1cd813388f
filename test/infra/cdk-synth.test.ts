import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT, cdkJsonConfig, synthApp } from './synth-app';

/** The CDK CLI as a user runs it, with nothing that could reach AWS or the internet. */
function cdk(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'), args, {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    },
    timeout: 180_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const outdirs: string[] = [];
const freshOutdir = (): string => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'kvs-url-vending-synth-'));
  outdirs.push(outdir);
  return outdir;
};
afterAll(() => outdirs.forEach((outdir) => rmSync(outdir, { recursive: true, force: true })));

describe('npx cdk synth', () => {
  it('synthesizes offline with the cdk.json defaults, bundling the function and passing cdk-nag', () => {
    const outdir = freshOutdir();

    const { status, output } = cdk(['synth', '--quiet', '--no-notices', '--output', outdir]);

    expect({ status, output: status === 0 ? '' : output }).toEqual({ status: 0, output: '' });
    const template = JSON.parse(readFileSync(path.join(outdir, 'KvsUrlVending.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(
      expect.arrayContaining(['AWS::ApiGateway::RestApi', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table']),
    );
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'KvsUrlVending.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const bundles = Object.values(manifest.files).filter((file) => file.source.packaging === 'zip');
    expect(bundles.some((file) => existsSync(path.join(outdir, file.source.path, 'index.mjs')))).toBe(true);

    // The infrastructure tests assert on this very template: same app builder, same context and
    // feature flags, same environment. Anything else would test a stack nobody deploys.
    const { app, stack, outdir: testOutdir } = synthApp({ bundle: true });
    outdirs.push(testOutdir);
    const tested = app.synth().getStackArtifact(stack.artifactId).template as unknown;
    expect(tested).toEqual(template);
  }, 180_000);

  it('fails with a message naming the key when the configuration is bad', () => {
    const bad = JSON.stringify({ ...cdkJsonConfig(), allowedOrigins: ['*'] });
    const outdir = freshOutdir();

    const { status, output } = cdk([
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      outdir,
      '-c',
      `kvsUrlVending=${bad}`,
    ]);

    expect(status).not.toBe(0);
    expect(output).toContain('kvsUrlVending.allowedOrigins.0: must be an exact origin');
  }, 180_000);
});
