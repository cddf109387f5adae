import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { createTokenVerifier, rememberVerified, TokenError, type TokenVerifier } from '../../lib/auth/tokens';

/** A verifier that accepts tokens named in `valid` (claims with the given exp, in seconds) and counts its calls. */
function counting(valid: Record<string, number>): TokenVerifier & { calls: number } {
  const verify = Object.assign(
    async (token: string): Promise<JWTPayload> => {
      verify.calls++;
      const exp = valid[token];
      if (exp === undefined) throw new TokenError('invalid', 'not valid');
      return { sub: token, exp };
    },
    { calls: 0 },
  );
  return verify;
}

describe('verified tokens are remembered until they expire (lib/auth/tokens.ts)', () => {
  let clock = 1_000_000;
  const now = () => clock;

  test('a token verified once is not verified again while it lasts', async () => {
    const inner = counting({ a: 2000 });
    const verify = rememberVerified(inner, { now });
    expect(await verify('a')).toEqual({ sub: 'a', exp: 2000 });
    expect(await verify('a')).toEqual({ sub: 'a', exp: 2000 });
    expect(inner.calls).toBe(1);
  });

  test('at its exp it is verified again (and so refused as expired by the real check)', async () => {
    const inner = counting({ b: 1005 });
    const verify = rememberVerified(inner, { now });
    clock = 1_004_999;
    await verify('b');
    await verify('b');
    expect(inner.calls).toBe(1);
    clock = 1_005_000;
    await verify('b');
    expect(inner.calls).toBe(2);
  });

  test('refusals are not remembered', async () => {
    const inner = counting({});
    const verify = rememberVerified(inner, { now });
    await expect(verify('forged')).rejects.toThrow(TokenError);
    await expect(verify('forged')).rejects.toThrow(TokenError);
    expect(inner.calls).toBe(2);
  });

  test('it remembers at most `max` tokens, forgetting the least recently used', async () => {
    clock = 0;
    const inner = counting({ x: 9999, y: 9999, z: 9999 });
    const verify = rememberVerified(inner, { now, max: 2 });
    await verify('x');
    await verify('y');
    await verify('z');
    expect(inner.calls).toBe(3);
    await verify('z');
    await verify('y');
    expect(inner.calls).toBe(3);
    await verify('x');
    expect(inner.calls).toBe(4);
  });

  test('the claims handed out cannot be changed by one caller for the next', async () => {
    const verify = rememberVerified(counting({ c: 9999 }), { now });
    const claims = await verify('c');
    expect(Object.isFrozen(claims)).toBe(true);
  });

  test('a real verifier still refuses an expired token it once accepted', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
    const verify = createTokenVerifier({ jwks: { keys: [jwk] }, issuer: 'i', audience: 'a' });
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await new SignJWT({ role: 'CUSTOMER' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setIssuer('i')
      .setAudience('a')
      .setSubject('u1')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);
    expect((await verify(token)).sub).toBe('u1');
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    await expect(verify(token)).rejects.toThrow('The token has expired');
  });
});
