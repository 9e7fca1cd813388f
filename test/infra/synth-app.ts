import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/build-app';
import type { KvsUrlVendingStack } from '../../lib/kvs-url-vending-stack';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The whole `context` of cdk.json: the `kvsUrlVending` configuration and the feature flags. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The `kvsUrlVending` defaults of cdk.json: what `npx cdk synth` uses. */
export function cdkJsonConfig(): Record<string, unknown> {
  return cdkJsonContext().kvsUrlVending as Record<string, unknown>;
}

/**
 * What the CDK CLI adds to the context of every `cdk synth` run (defaults of `cdk.json` settings this
 * project leaves alone). The CLI run of cdk-synth.test.ts proves the two templates are the same. Left
 * out: `@aws-cdk/core:failSynthOnValidationErrors: false`, with which the CLI, not the app, fails on a
 * cdk-nag finding; it changes no template, and `app.synth()` in the tests must throw on findings.
 */
const CLI_CONTEXT: Record<string, unknown> = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
};

/**
 * The environment `npx cdk synth` gives the stack offline: no account, and the CLI's fallback region when
 * no profile or AWS_REGION names one. A deploy resolves both from the credentials.
 */
/** What the CLI passes without credentials: a region, no account. */
const CLI_OFFLINE_ENV = { region: 'us-east-1' };

export interface SynthOptions {
  /** Replaces keys of the cdk.json configuration. */
  readonly overrides?: Record<string, unknown>;
  /** Bundles the function with esbuild (slow); without it the asset is a placeholder. */
  readonly bundle?: boolean;
}

/**
 * The deployable app as `npx cdk synth` builds it: bin/app.ts's `buildApp`, the whole cdk.json context
 * (feature flags included), the CLI's own context and environment, the cdk-nag packs, a fresh outdir.
 */
export function synthApp(options: SynthOptions = {}): {
  app: App;
  stack: KvsUrlVendingStack;
  outdir: string;
} {
  const outdir = mkdtempSync(path.join(tmpdir(), 'kvs-url-vending-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...CLI_CONTEXT,
      kvsUrlVending: { ...cdkJsonConfig(), ...options.overrides },
      // An empty list tells NodejsFunction to skip bundling for every stack (the CLI bundles all: ['**']).
      'aws:cdk:bundling-stacks': options.bundle === true ? ['**'] : [],
    },
  });
  const stack = buildApp(app, CLI_OFFLINE_ENV);
  return { app, stack, outdir };
}
