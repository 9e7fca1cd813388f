import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * What the vend function's esbuild bundle leaves out, shared by the stack (`VendFunction`) and the
 * cold-start benchmark so that both measure and ship the same bundle.
 *
 * The AWS SDK's default credential chain imports these providers lazily, one per way of finding
 * credentials: profiles and SSO, credential processes, web identity files, container endpoints. A Lambda
 * function always finds its role's credentials in the environment, the first link of the chain, so none of
 * them ever loads there; bundled they cost about 100 KB (STS, SSO and OIDC clients included) and cold-start
 * time. Left out, a stray import would still resolve to the copy of the SDK that the Node.js runtime ships.
 */
export const CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
];

/**
 * Modules swapped for smaller stand-ins in the bundle (esbuild `alias`): `semver`, which jsonwebtoken
 * uses only to ask which Node.js features exist (see bundle-shims/semver.ts).
 */
export const VEND_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  semver: join(__dirname, 'bundle-shims', 'semver.ts'),
};

/**
 * The esbuild options of the stack's vend function (NodejsFunction: minify, sourceMap, target node22,
 * mainFields module,main, AWS SDK bundled), shared by the cold-start benchmark and the local stack's
 * Lambda instances so that what they measure and run is what deploys. Format and source-map support
 * follow `stackBundling()`.
 */
export const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  external: [...CREDENTIAL_PROVIDERS_NEVER_LOADED_IN_LAMBDA],
  alias: { ...VEND_BUNDLE_ALIASES },
  metafile: true,
  logLevel: 'silent',
};

/** ES module bundles need `require` for the CommonJS parts esbuild cannot convert (the usual CDK banner). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface StackBundling {
  readonly format: 'esm' | 'cjs';
  /** `NODE_OPTIONS=--enable-source-maps` in the function's environment: Node then reads the map at load. */
  readonly enableSourceMaps: boolean;
}

/**
 * What `lib/` asks of NodejsFunction that changes how the bundle loads: ES modules (OutputFormat.ESM,
 * otherwise CommonJS, the default) and source-map support at run time.
 */
export function stackBundling(libDir: string = __dirname): StackBundling {
  const sources = existsSync(libDir)
    ? readdirSync(libDir, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(join(libDir, file), 'utf8'))
    : [];
  return {
    format: sources.some((text) => /OutputFormat\.ESM\b/.test(text)) ? 'esm' : 'cjs',
    enableSourceMaps: sources.some((text) => text.includes('--enable-source-maps')),
  };
}

/** `LAMBDA_BUNDLING` in the stack's format: ES modules get the `require` banner. */
export function asDeployedBundling(bundling: StackBundling = stackBundling()): BuildOptions {
  return bundling.format === 'esm'
    ? { ...LAMBDA_BUNDLING, format: 'esm', banner: { js: ESM_REQUIRE_BANNER } }
    : { ...LAMBDA_BUNDLING, format: 'cjs' };
}
