import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Git-ignored; the key survives restarts so tokens minted earlier keep working. */
export const DEFAULT_STATE_DIR = resolve(__dirname, '..', '..', '.local');

export interface SigningKey {
  privateKey: KeyObject;
  kid: string;
  /** The public half as published in the JWKS. */
  publicJwk: JsonWebKey & { kid: string; alg: 'ES256'; use: 'sig' };
}

/**
 * Loads the dev identity provider's ES256 key from `<stateDir>/identity/signing-key.pem`, creating it on
 * first use. Creation is atomic (hard link of a complete temporary file), so a token command and the
 * stack starting at the same moment end up with one and the same key.
 */
export function loadOrCreateSigningKey(stateDir: string = DEFAULT_STATE_DIR): SigningKey {
  const dir = join(stateDir, 'identity');
  const file = join(dir, 'signing-key.pem');
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const temporary = join(dir, `signing-key.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temporary, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      linkSync(temporary, file);
    } catch (linkError) {
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
    } finally {
      unlinkSync(temporary);
    }
    pem = readFileSync(file, 'utf8');
  }
  const privateKey = createPrivateKey(pem);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  return { privateKey, kid, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } };
}

/** RFC 7638 JWK thumbprint: a kid that changes exactly when the key does. */
function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}
