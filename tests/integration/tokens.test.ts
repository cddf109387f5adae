import { createHash } from 'node:crypto';
import { decodeJwt, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { loadSigningKey, loadVerificationKey, type SigningKey } from '../../lib/auth/keys';
import { createTokenVerifier, signToken, USER_TOKEN } from '../../lib/auth/tokens';
import { createLogger } from '../../lib/log';
import { UsersStore } from '../../subgraphs/users/data';
import { ensureAdmin } from '../../subgraphs/users/seed';
import { loadUsersConfig } from '../../subgraphs/users/config';
import { buildUsersService } from '../../subgraphs/users/server';
import { startSupergraph, type GraphQLResponse, type QueryFn, type Supergraph } from '../../testing/harness';
import { TARGETS } from '../../testing/databases';

const PAIR = 'token refreshToken user { id }';
const SIGN_IN = /* GraphQL */ `
  mutation ($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { ${PAIR} }
  }
`;
const REFRESH = /* GraphQL */ `
  mutation ($token: String!) {
    refreshToken(token: $token) { ${PAIR} }
  }
`;
const SIGN_OUT = 'mutation ($token: String!) { signOut(refreshToken: $token) }';
const CHANGE_PASSWORD = /* GraphQL */ `
  mutation ($current: String!, $next: String!) {
    changePassword(currentPassword: $current, newPassword: $next) { ${PAIR} }
  }
`;

interface Pair {
  token: string;
  refreshToken: string;
  user: { id: string };
}

/** A fresh Ed25519 key as the PKCS#8 PEM JWT_PRIVATE_KEY takes. */
async function newPem(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return exportPKCS8(privateKey);
}

const codeOf = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.code;

describe.each(TARGETS)('access and refresh tokens on %s', (target) => {
  let graph: Supergraph;
  // The users service signs with `current`; `previous` is the key it signed with before a rotation.
  let current: SigningKey;
  let previous: SigningKey;
  let store: UsersStore;

  beforeAll(async () => {
    const [currentPem, previousPem] = [await newPem(), await newPem()];
    current = await loadSigningKey({ pem: currentPem, file: '/nonexistent' });
    previous = await loadSigningKey({ pem: previousPem, file: '/nonexistent' });
    // Escaped newlines, as a one-line env variable carries a PEM.
    graph = await startSupergraph(target, { JWT_PRIVATE_KEY: currentPem, JWT_PREVIOUS_KEY: previousPem.replace(/\n/g, '\\n') });
    store = new UsersStore(graph.users.database);
  });
  afterAll(async () => {
    await store?.prisma.$disconnect();
    await graph?.stop();
  });

  let emails = 0;
  async function newAccount(): Promise<Pair & { email: string; password: string }> {
    const email = `tokens-${(emails += 1)}@example.com`;
    await graph.signUp(email);
    return { ...(await signIn(email, 'password-123')), email, password: 'password-123' };
  }
  async function signIn(email: string, password: string): Promise<Pair> {
    const result = await graph.users.query<{ signIn: Pair }>(SIGN_IN, { email, password });
    if (!result.data) throw new Error(`signIn failed: ${JSON.stringify(result.errors)}`);
    return result.data.signIn;
  }
  const refresh = (token: string, via: { query: QueryFn } = graph.users) => via.query<{ refreshToken: Pair }>(REFRESH, { token });

  /** Whether an access token gets the viewer at the users subgraph, at orders, and through the router. */
  async function acceptedEverywhere(token: string): Promise<Record<string, string | undefined>> {
    const [users, orders, router] = await Promise.all([
      graph.users.query('{ me { id } }', {}, token),
      graph.orders.query('{ orders(first: 1) { edges { node { id } } } }', {}, token),
      graph.router.query('{ me { id } }', {}, token),
    ]);
    return { users: codeOf(users) ?? 'ok', orders: codeOf(orders) ?? 'ok', router: codeOf(router) ?? 'ok' };
  }
  const OK = { users: 'ok', orders: 'ok', router: 'ok' };
  const REFUSED = { users: 'UNAUTHENTICATED', orders: 'UNAUTHENTICATED', router: 'UNAUTHENTICATED' };

  describe('access tokens', () => {
    test('last 15 minutes and carry exp, iat, iss, aud and sub', async () => {
      const { token, user } = await newAccount();
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ sub: user.id, iss: USER_TOKEN.issuer, aud: USER_TOKEN.audience, role: 'CUSTOMER' });
      expect(claims.exp! - claims.iat!).toBe(15 * 60);
    });

    test.each(['exp', 'iat', 'iss', 'aud', 'sub'])(
      'a token signed with the users key but without %s is UNAUTHENTICATED at every subgraph and the router',
      async (claim) => {
        const { user } = await newAccount();
        const now = Math.floor(Date.now() / 1000);
        const all: JWTPayload = {
          sub: user.id,
          role: 'CUSTOMER',
          iss: USER_TOKEN.issuer,
          aud: USER_TOKEN.audience,
          iat: now,
          exp: now + 600,
        };
        const sign = (claims: JWTPayload) =>
          new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: current.publicJwk.kid }).sign(current.privateKey);
        expect(await acceptedEverywhere(await sign(all))).toEqual(OK);
        const { [claim]: _dropped, ...rest } = all;
        expect(await acceptedEverywhere(await sign(rest))).toEqual(REFUSED);
      },
    );
  });

  describe('refresh tokens', () => {
    test('signIn returns an opaque refresh token of 256 bits, stored only as its hash', async () => {
      const { refreshToken, user } = await newAccount();
      expect(Buffer.from(refreshToken, 'base64url')).toHaveLength(32);
      const rows = await store.prisma.refreshToken.findMany({ where: { userId: user.id } });
      // signUp started one session and signIn another.
      expect(rows).toHaveLength(2);
      expect(rows.map((row) => row.tokenHash)).toContain(createHash('sha256').update(refreshToken).digest('base64url'));
      expect(JSON.stringify(rows)).not.toContain(refreshToken);
      expect(rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    });

    test('refreshToken returns a working new pair and rotates: the old refresh token is refused', async () => {
      const first = await newAccount();
      const renewed = await refresh(first.refreshToken);
      const pair = renewed.data!.refreshToken;
      expect(pair.user.id).toBe(first.user.id);
      expect(pair.refreshToken).not.toBe(first.refreshToken);
      expect((await graph.users.query('{ me { id } }', {}, pair.token)).data!.me.id).toBe(first.user.id);
      const next = await refresh(pair.refreshToken);
      expect(next.data!.refreshToken.user.id).toBe(first.user.id);
    });

    test('reusing a used refresh token revokes its whole family, and the message says to sign in again', async () => {
      const first = await newAccount();
      const second = (await refresh(first.refreshToken)).data!.refreshToken;
      const reuse = await refresh(first.refreshToken);
      expect(reuse.status).toBe(401);
      expect(reuse).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
      expect(reuse.errors![0]!.message).toMatch(/already used.*sign in again/);
      // The token the reuse descended from is revoked too: whoever holds it is signed out as well.
      const after = await refresh(second.refreshToken);
      expect(after).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
      expect(after.errors![0]!.message).toMatch(/revoked.*sign in again/);
      // Another sign-in of the same user is another family, untouched.
      const other = await signIn(first.email, first.password);
      expect((await refresh(other.refreshToken)).errors).toBeUndefined();
    });

    test('of concurrent uses of one refresh token exactly one wins', async () => {
      const { refreshToken } = await newAccount();
      const results = await Promise.all(Array.from({ length: 5 }, () => refresh(refreshToken)));
      expect(results.filter((result) => result.data?.refreshToken)).toHaveLength(1);
      const refused = results.filter((result) => !result.data?.refreshToken);
      expect(refused).toHaveLength(4);
      for (const result of refused) expect(result).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
    });

    test('an expired or unknown refresh token is UNAUTHENTICATED', async () => {
      const { refreshToken, user } = await newAccount();
      await store.prisma.refreshToken.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const expired = await refresh(refreshToken);
      expect(expired).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
      expect(expired.errors![0]!.message).toMatch(/expired.*sign in again/);
      for (const token of ['not-a-token', 'x'.repeat(10_000)])
        expect(await refresh(token)).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
    });

    test('signOut revokes its family only; an unknown token answers false', async () => {
      const first = await newAccount();
      const other = await signIn(first.email, first.password);
      const renewed = (await refresh(first.refreshToken)).data!.refreshToken;
      expect((await graph.users.query(SIGN_OUT, { token: renewed.refreshToken })).data!.signOut).toBe(true);
      expect(await refresh(renewed.refreshToken)).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
      expect((await refresh(other.refreshToken)).errors).toBeUndefined();
      expect((await graph.users.query(SIGN_OUT, { token: 'never-issued' })).data!.signOut).toBe(false);
    });

    test('a role change with password reset (ADMIN_EMAIL promotion) revokes every refresh token of the user', async () => {
      const account = await newAccount();
      const other = await signIn(account.email, account.password);
      await ensureAdmin(store, createLogger('test'), { email: account.email, password: 'the-real-admin-password' });
      for (const token of [account.refreshToken, other.refreshToken]) {
        const refused = await refresh(token);
        expect(refused.errors![0]!.message).toMatch(/revoked.*sign in again/);
      }
    });

    test('changePassword needs the current password, revokes every session and returns a fresh pair', async () => {
      const account = await newAccount();
      const other = await signIn(account.email, account.password);
      const vars = { current: account.password, next: 'a-brand-new-password' };
      expect(await graph.users.query(CHANGE_PASSWORD, vars)).toHaveErrorCode('UNAUTHENTICATED', ['changePassword']);
      expect(await graph.users.query(CHANGE_PASSWORD, { ...vars, current: 'wrong-password' }, account.token)).toHaveErrorCode(
        'INVALID_CREDENTIALS',
        ['changePassword'],
      );
      expect(await graph.users.query(CHANGE_PASSWORD, { ...vars, next: 'short' }, account.token)).toHaveErrorCode('BAD_USER_INPUT', [
        'changePassword',
      ]);
      const changed = await graph.users.query<{ changePassword: Pair }>(CHANGE_PASSWORD, vars, account.token);
      const fresh = changed.data!.changePassword;
      for (const token of [account.refreshToken, other.refreshToken])
        expect(await refresh(token)).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
      expect((await refresh(fresh.refreshToken)).errors).toBeUndefined();
      await expect(signIn(account.email, account.password)).rejects.toThrow(/INVALID_CREDENTIALS/);
      expect((await signIn(account.email, vars.next)).user.id).toBe(account.user.id);
    });

    test('through the router: signIn returns a refresh token and refreshToken rotates it', async () => {
      const { email, password } = await newAccount();
      const signedIn = await graph.router.query<{ signIn: Pair }>(SIGN_IN, { email, password });
      const renewed = await refresh(signedIn.data!.signIn.refreshToken, graph.router);
      expect((await graph.router.query('{ me { id } }', {}, renewed.data!.refreshToken.token)).data!.me.id).toBe(
        signedIn.data!.signIn.user.id,
      );
      expect(await refresh(signedIn.data!.signIn.refreshToken, graph.router)).toHaveErrorCode('UNAUTHENTICATED', ['refreshToken']);
    });
  });

  describe('signing key rotation', () => {
    test('the JWKS publishes the signing key and the previous one', async () => {
      const jwks = await (await fetch(new URL('/.well-known/jwks.json', graph.users.url))).json();
      expect(jwks.keys.map((key: { kid: string }) => key.kid)).toEqual([current.publicJwk.kid, previous.publicJwk.kid]);
      expect(JSON.stringify(jwks)).not.toContain('"d"');
    });

    test('a token signed with the previous key still verifies at the subgraphs and through the router; an unknown key does not', async () => {
      const { user } = await newAccount();
      const beforeRotation = await signToken(previous, { sub: user.id, role: 'CUSTOMER' }, USER_TOKEN);
      expect(await acceptedEverywhere(beforeRotation)).toEqual(OK);
      const stranger = await loadSigningKey({ pem: await newPem(), file: '/nonexistent' });
      expect(await acceptedEverywhere(await signToken(stranger, { sub: user.id, role: 'CUSTOMER' }, USER_TOKEN))).toEqual(REFUSED);
    });

    test('JWT_PREVIOUS_KEY may be the public half (SPKI); a bad one stops start-up naming the variable', async () => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      expect((await loadVerificationKey(await exportSPKI(publicKey))).kid).toBe(
        (await loadVerificationKey(await exportPKCS8(privateKey))).kid,
      );
      const config = loadUsersConfig({ ...graph.env, JWT_PRIVATE_KEY: await newPem(), JWT_PREVIOUS_KEY: 'not a key' });
      await expect(buildUsersService(config)).rejects.toThrow(/JWT_PREVIOUS_KEY/);
    });

    test('a fresh verifier over the JWKS URL (as in every other service) trusts both keys', async () => {
      const verify = createTokenVerifier({ jwks: new URL('/.well-known/jwks.json', graph.users.url), ...USER_TOKEN });
      for (const key of [current, previous])
        expect((await verify(await signToken(key, { sub: 'someone' }, USER_TOKEN))).sub).toBe('someone');
    });
  });
});
