import fs from 'node:fs';
import path from 'node:path';
import type { Route } from '../server';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose';

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
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' } };
}

export function jwksDocument(key: SigningKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

/** GET /.well-known/jwks.json: the public half of `key`, for other services to verify our tokens. */
export function jwksRoute(key: SigningKey): Route {
  const body = jwksDocument(key);
  return { method: 'GET', path: '/.well-known/jwks.json', handle: async () => ({ status: 200, body, headers: { 'cache-control': 'public, max-age=300' } }) };
}
