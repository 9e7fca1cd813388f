import { join } from 'node:path';

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
