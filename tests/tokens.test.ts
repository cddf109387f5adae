import { decodeJwt, exportPKCS8, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { loadSigningKey, type SigningKey } from '../lib/auth/keys';
import { USER_TOKEN } from '../lib/auth/tokens';
import { startSupergraph, type GraphQLResponse, type Supergraph } from './support/harness';
import { TARGETS } from './support/databases';

const PAIR = 'token user { id }';
const SIGN_IN = `mutation ($email: String!, $password: String!) { signIn(email: $email, password: $password) { ${PAIR} } }`;

interface Pair {
  token: string;
  user: { id: string };
}

/** A fresh Ed25519 key as the PKCS#8 PEM JWT_PRIVATE_KEY takes. */
async function newPem(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return exportPKCS8(privateKey);
}

const codeOf = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.code;

describe.each(TARGETS)('access tokens on %s', (target) => {
  let graph: Supergraph;
  // The users service signs with `current`.
  let current: SigningKey;

  beforeAll(async () => {
    const currentPem = await newPem();
    current = await loadSigningKey({ pem: currentPem, file: '/nonexistent' });
    graph = await startSupergraph(target, { JWT_PRIVATE_KEY: currentPem });
  });
  afterAll(() => graph?.stop());

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

    test.each(['exp', 'iat', 'iss', 'aud', 'sub'])('a token signed with the users key but without %s is UNAUTHENTICATED at every subgraph and the router', async (claim) => {
      const { user } = await newAccount();
      const now = Math.floor(Date.now() / 1000);
      const all: JWTPayload = { sub: user.id, role: 'CUSTOMER', iss: USER_TOKEN.issuer, aud: USER_TOKEN.audience, iat: now, exp: now + 600 };
      const sign = (claims: JWTPayload) => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: current.publicJwk.kid }).sign(current.privateKey);
      expect(await acceptedEverywhere(await sign(all))).toEqual(OK);
      const { [claim]: _dropped, ...rest } = all;
      expect(await acceptedEverywhere(await sign(rest))).toEqual(REFUSED);
    });
  });
});
