import fs from 'node:fs';
import path from 'node:path';
import type { Route } from '../server';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, importSPKI, type CryptoKey, type JWK } from 'jose';

export const SIGNING_ALG = 'EdDSA';

export interface SigningKey {
  privateKey: CryptoKey;
  /** The public half as published in the JWKS, with its `kid`. */
  publicJwk: JWK;
}

/**
 * The key a service signs its tokens with: from `pem` (an env variable in production) when given,
 * otherwise the one kept at `file`, generated (Ed25519) on first start.
 */
export async function loadSigningKey(options: { pem?: string; file: string }): Promise<SigningKey> {
  let pem = options.pem?.replace(/\\n/g, '\n');
  if (!pem) {
    if (!fs.existsSync(options.file)) {
      const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
      fs.mkdirSync(path.dirname(options.file), { recursive: true });
      fs.writeFileSync(options.file, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' });
    }
    pem = fs.readFileSync(options.file, 'utf8');
  }
  const privateKey = await importPKCS8(pem, SIGNING_ALG, { extractable: true });
  return { privateKey, publicJwk: await publishedJwk(privateKey) };
}

/**
 * The public JWK of a key that no longer signs but whose tokens must still verify (the key before a
 * rotation): from a PEM holding either its private half (PKCS#8) or its public half (SPKI);
 * `\n`-escaped like an env variable allows.
 */
export async function loadVerificationKey(rawPem: string): Promise<JWK> {
  const pem = rawPem.replace(/\\n/g, '\n').trim();
  const key = pem.includes('PRIVATE KEY')
    ? await importPKCS8(pem, SIGNING_ALG, { extractable: true })
    : await importSPKI(pem, SIGNING_ALG, { extractable: true });
  return publishedJwk(key);
}

async function publishedJwk(key: CryptoKey): Promise<JWK> {
  const { d: _private, ...publicJwk } = await exportJWK(key);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' };
}

/** The key set to publish: the signing key first, then older keys still trusted (a repeat of it is dropped). */
export function jwksDocument(key: SigningKey, previous: JWK[] = []): { keys: JWK[] } {
  return { keys: [key.publicJwk, ...previous.filter((jwk) => jwk.kid !== key.publicJwk.kid)] };
}

/** GET /.well-known/jwks.json: the public half of `key` (and of `previous` keys), for other services to verify our tokens. */
export function jwksRoute(key: SigningKey, previous: JWK[] = []): Route {
  const body = jwksDocument(key, previous);
  return {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handle: async () => ({ status: 200, body, headers: { 'cache-control': 'public, max-age=300' } }),
  };
}
