import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/build-app';
import type { KvsUrlVendingStack } from '../../lib/kvs-url-vending-stack';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The `kvsUrlVending` defaults of cdk.json: what `npx cdk synth` uses. */
export function cdkJsonConfig(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: { kvsUrlVending: Record<string, unknown> };
  };
  return cdkJson.context.kvsUrlVending;
}

export interface SynthOptions {
  /** Replaces keys of the cdk.json configuration. */
  readonly overrides?: Record<string, unknown>;
  /** Bundles the function with esbuild (slow); without it the asset is a placeholder. */
  readonly bundle?: boolean;
}

/** The deployable app as bin/app.ts builds it, with the cdk-nag packs attached, in a fresh outdir. */
export function synthApp(options: SynthOptions = {}): {
  app: App;
  stack: KvsUrlVendingStack;
  outdir: string;
} {
  const outdir = mkdtempSync(path.join(tmpdir(), 'kvs-url-vending-cdk-'));
  const app = new App({
    outdir,
    context: {
      kvsUrlVending: { ...cdkJsonConfig(), ...options.overrides },
      // An empty list tells NodejsFunction to skip bundling for every stack.
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = buildApp(app);
  return { app, stack, outdir };
}
