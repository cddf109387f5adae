import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { JwksCache } from '../../lib/auth/jwks-cache';
import { createTokenVerifier, TokenError } from '../../lib/auth/tokens';

const CLAIMS = { issuer: 'test/issuer', audience: 'test/audience' };
const MINUTE = 60_000;

interface TestKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

/** A new token each call (its own jti): a verifier remembers the tokens it accepted. */
function sign(key: TestKey, kid = key.jwk.kid!): Promise<string> {
  return new SignJWT({ role: 'CUSTOMER', jti: randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setSubject('user-1')
    .setIssuer(CLAIMS.issuer)
    .setAudience(CLAIMS.audience)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(key.privateKey);
}

/** A JWKS endpoint the test controls: what it publishes, whether it fails, and how often it was asked. */
class JwksServer {
  keys: JWK[] = [];
  failing = false;
  hits = 0;
  private server = http.createServer((_, res) => {
    this.hits += 1;
    if (this.failing) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function refusal(promise: Promise<unknown>): Promise<TokenError['reason'] | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
}

describe('createTokenVerifier over a JWKS URL (lib/auth/jwks-cache.ts)', () => {
  let server: JwksServer;
  let url: URL;
  let key: TestKey;
  // The cache's clock: tests move it rather than wait.
  let clock: number;
  const now = () => clock;
  const verifierFor = (url: URL) => createTokenVerifier({ jwks: url, ...CLAIMS, jwksCache: { now, timeoutMs: 2000 } });

  beforeEach(async () => {
    clock = Date.UTC(2030, 0, 1);
    server = new JwksServer();
    url = await server.start();
    key = await newKey('key-1');
    server.keys = [key.jwk];
  });
  afterEach(() => server.stop());

  test('fetches once and verifies every later token from its cache; refetches in the background after five minutes', async () => {
    const cache = new JwksCache({ url, now });
    const token = await sign(key);
    for (let i = 0; i < 5; i += 1) expect((await jwtVerify(token, cache.getKey, CLAIMS)).payload.sub).toBe('user-1');
    expect(server.hits).toBe(1);
    clock += 5 * MINUTE;
    server.keys = [];
    // Served from the keys it has while the refetch runs; the refetch then replaces them.
    await jwtVerify(token, cache.getKey, CLAIMS);
    await cache.settled();
    expect(server.hits).toBe(2);
    await expect(jwtVerify(token, cache.getKey, CLAIMS)).rejects.toThrow(/no applicable key/);
  });

  test('with users unreachable and no keys, requests fail fast as unavailable and the failure is not refetched per request', async () => {
    server.failing = true;
    const verify = verifierFor(url);
    const token = await sign(key);
    for (let i = 0; i < 5; i += 1) expect(await refusal(verify(token))).toBe('unavailable');
    expect(server.hits).toBe(1);
    clock += 6_000;
    server.failing = false;
    expect(await refusal(verify(token))).toBe('accepted');
    expect(server.hits).toBe(2);
  });

  test('stale keys keep verifying for up to 24 hours after the JWKS server dies, then requests are unavailable', async () => {
    const verify = verifierFor(url);
    await verify(await sign(key));
    await server.stop();
    clock += 23 * 60 * MINUTE;
    expect(await refusal(verify(await sign(key)))).toBe('accepted');
    clock += 10_000;
    expect(await refusal(verify(await sign(key)))).toBe('accepted');
    clock += 60 * MINUTE;
    expect(await refusal(verify(await sign(key)))).toBe('unavailable');
  });

  test('a token with an unknown kid makes it refetch (a rotated key), at most once per few seconds', async () => {
    const verify = verifierFor(url);
    await verify(await sign(key));
    const rotated = await newKey('key-2');
    server.keys = [rotated.jwk, key.jwk];
    expect(await refusal(verify(await sign(rotated)))).toBe('accepted');
    expect(server.hits).toBe(2);
    // A forged kid: one refetch, then no more within the cooldown, however many arrive.
    clock += 10_000;
    const forged = await newKey('forged');
    for (let i = 0; i < 3; i += 1) expect(await refusal(verify(await sign(forged)))).toBe('invalid');
    expect(server.hits).toBe(3);
    clock += 10_000;
    expect(await refusal(verify(await sign(forged)))).toBe('invalid');
    expect(server.hits).toBe(4);
  });

  test('a JWKS server that never answers is given up on after the timeout, as unavailable', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const verify = createTokenVerifier({
        jwks: new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/jwks`),
        ...CLAIMS,
        jwksCache: { now, timeoutMs: 200 },
      });
      expect(await refusal(verify(await sign(key)))).toBe('unavailable');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
