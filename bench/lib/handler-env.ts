import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchIdentity } from './tokens';
import type { ProxyHandler } from './vend-event';

/** Grants of the in-process scenarios: every caller is in group `bench`, which may play every stream. */
export const BENCH_GRANTS = [
  {
    principal: 'group:bench',
    grantId: 'bench-all',
    streams: ['*'],
    playbackModes: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'],
    protocols: ['HLS', 'DASH'],
    maxExpiresInSeconds: 3600,
  },
];

export const BENCH_REGION = 'us-east-1';
export const BENCH_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Configures the real vend handler through its environment (as Lambda would: HS256 secret, grants file,
 * KVS endpoint override) and imports it. The handler reads its configuration once at module load, so a
 * scenario process loads it once.
 */
export async function loadVendHandler(options: {
  identity: BenchIdentity;
  kvsEndpoint: string;
  workDir: string;
  env?: Record<string, string>;
}): Promise<ProxyHandler> {
  mkdirSync(options.workDir, { recursive: true });
  const grantsFile = join(options.workDir, 'bench-grants.json');
  writeFileSync(grantsFile, JSON.stringify(BENCH_GRANTS));
  Object.assign(process.env, {
    JWT_ISSUER: options.identity.issuer,
    JWT_AUDIENCE: options.identity.audience,
    JWT_SECRET: options.identity.secret,
    JWT_ALGORITHMS: 'HS256',
    GRANTS_FILE: grantsFile,
    KVS_ENDPOINT: options.kvsEndpoint,
    AWS_REGION: BENCH_REGION,
    AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey,
    ...options.env,
  });
  const { handler } = await import('../../lambda/vend/handler');
  return handler;
}
