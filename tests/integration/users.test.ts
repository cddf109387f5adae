import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockDataDir } from '../../lib/db/lock';
import { createLogger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { UsersStore } from '../../subgraphs/users/data';
import { ensureAdmin } from '../../subgraphs/users/seed';
import { ADMIN, startSupergraph, type GraphQLResponse, type Supergraph } from '../../testing/harness';
import { type Connection, uniqueEmail, uniqueSuffix } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

describe.each(TARGETS)('users subgraph on %s', (target) => {
  let graph: Supergraph;
  beforeAll(async () => {
    graph = await startSupergraph(target);
  });
  afterAll(() => graph?.stop());

  const SIGN_UP = /* GraphQL */ `
    mutation ($input: SignUpInput!) {
      signUp(input: $input) { token user { id email name role createdAt } }
    }
  `;
  const SIGN_IN = /* GraphQL */ `
    mutation ($email: String!, $password: String!) {
      signIn(email: $email, password: $password) { token user { id } }
    }
  `;

  /** How many users there are, as an ADMIN sees them. */
  const userCount = async () =>
    (
      await graph.users.query<{ users: Connection<{ id: string }> }>(
        '{ users(first: 100) { edges { node { id } } } }',
        {},
        graph.adminToken,
      )
    ).data!.users.edges.length;

  test('signUp creates a CUSTOMER, lower-cases the email and returns a working token', async () => {
    const local = `Ada-${uniqueSuffix()}`;
    const email = `${local.toLowerCase()}@example.com`;
    const result = await graph.users.query(SIGN_UP, {
      input: { email: `  ${local}@Example.COM `, password: 'correct-horse', name: 'Ada' },
    });
    expect(result.errors).toBeUndefined();
    const { token, user } = result.data!.signUp;
    expect(user).toMatchObject({ email, name: 'Ada', role: 'CUSTOMER' });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
    const me = await graph.users.query('{ me { id email } }', {}, token);
    expect(me.data!.me).toEqual({ id: user.id, email });
  });

  test('signIn is case-insensitive on email; wrong password or unknown email is INVALID_CREDENTIALS', async () => {
    const email = uniqueEmail('ada');
    const { id } = await graph.signUp(email); // password-123
    const ok = await graph.users.query(SIGN_IN, { email: email.toUpperCase(), password: 'password-123' });
    expect(ok.data!.signIn).toEqual({ token: expect.any(String), user: { id } });
    for (const attempt of [
      { email, password: 'wrong-password' },
      { email: uniqueEmail('nobody'), password: 'password-123' },
    ]) {
      const bad = await graph.users.query(SIGN_IN, attempt);
      expect(bad).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
      expect(bad.data).toBeNull();
    }
  });

  test('signUp with a taken email, in any case, fails with EMAIL_TAKEN and creates nothing', async () => {
    const email = uniqueEmail('taken');
    await graph.signUp(email);
    const before = await userCount();
    const result = await graph.users.query(SIGN_UP, { input: { email: email.toUpperCase(), password: 'another-pass', name: 'Ada 2' } });
    expect(result).toHaveErrorCode('EMAIL_TAKEN', ['signUp']);
    expect(result.errors![0]!.message).not.toMatch(/prisma|select|insert|constraint|at .*\.ts/i);
    expect(await userCount()).toBe(before);
  });

  test.each([
    ['an invalid email', { email: 'not-an-email', password: 'long-enough', name: 'X' }],
    ['a short password', { email: uniqueEmail('short'), password: 'short', name: 'X' }],
    ['a blank name', { email: uniqueEmail('noname'), password: 'long-enough', name: '   ' }],
  ])('signUp with %s fails with BAD_USER_INPUT and creates nothing', async (_case, input) => {
    const before = await userCount();
    const result = await graph.users.query(SIGN_UP, { input });
    expect(result).toHaveErrorCode('BAD_USER_INPUT', ['signUp']);
    expect(result.errors![0]!.message).not.toMatch(/prisma|select|insert|constraint|at .*\.ts/i);
    expect(await userCount()).toBe(before);
  });

  test('me is null when anonymous; a bad token is UNAUTHENTICATED with HTTP 401', async () => {
    expect((await graph.users.query('{ me { id } }')).data!.me).toBeNull();
    const bad = await graph.users.query('{ me { id } }', {}, 'not.a.token');
    expect(bad.status).toBe(401);
    expect(bad).toHaveErrorCode('UNAUTHENTICATED');
  });

  test('user(id) and email are for the user themself or an ADMIN', async () => {
    const aliceEmail = uniqueEmail('alice');
    const alice = await graph.signUp(aliceEmail, 'Alice');
    const bob = await graph.signUp(uniqueEmail('bob'), 'Bob');
    expect((await graph.users.query('query ($id: ID!) { user(id: $id) { name } }', { id: alice.id }, alice.token)).data!.user.name).toBe(
      'Alice',
    );
    const forbidden = await graph.users.query('query ($id: ID!) { user(id: $id) { name } }', { id: alice.id }, bob.token);
    expect(forbidden).toHaveErrorCode('FORBIDDEN', ['user']);
    const anonymous = await graph.users.query('query ($id: ID!) { user(id: $id) { name } }', { id: alice.id });
    expect(anonymous).toHaveErrorCode('UNAUTHENTICATED', ['user']);
    const asAdmin = await graph.users.query('query ($id: ID!) { user(id: $id) { email } }', { id: alice.id }, graph.adminToken);
    expect(asAdmin.data!.user.email).toBe(aliceEmail);
    expect(
      (await graph.users.query('query ($id: ID!) { user(id: $id) { id } }', { id: 'no-such-id' }, graph.adminToken)).data!.user,
    ).toBeNull();
  });

  test('users pages with stable cursors, ADMIN only, and first is capped at 100', async () => {
    const QUERY = /* GraphQL */ `
      query ($first: Int, $after: String) {
        users(first: $first, after: $after) {
          edges { cursor node { email } }
          pageInfo { hasNextPage endCursor }
        }
      }
    `;
    type Page = { users: Connection<{ email: string }> };
    // Enough users for more than one page of two, whatever else this supergraph holds.
    const mine = [uniqueEmail('pager'), uniqueEmail('pager'), uniqueEmail('pager')];
    for (const email of mine) await graph.signUp(email);
    const all: string[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse<Page> = await graph.users.query(QUERY, { first: 2, after }, graph.adminToken);
      const { edges, pageInfo } = page.data!.users;
      all.push(...edges.map((edge) => edge.node.email));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);
    expect(all).toEqual(expect.arrayContaining([ADMIN.email, ...mine]));
    expect(new Set(all).size).toBe(all.length);
    const oneShot = await graph.users.query<Page>(QUERY, { first: 100 }, graph.adminToken);
    expect(oneShot.data!.users.edges.map((edge) => edge.node.email)).toEqual(all);
    const customer = await graph.signUp(uniqueEmail('customer'));
    expect(await graph.users.query(QUERY, { first: 2 }, customer.token)).toHaveErrorCode('FORBIDDEN', ['users']);
    expect(await graph.users.query(QUERY, { first: 101 }, graph.adminToken)).toHaveErrorCode('BAD_USER_INPUT', ['users']);
    expect(await graph.users.query(QUERY, { first: 2, after: 'garbage' }, graph.adminToken)).toHaveErrorCode('BAD_USER_INPUT', ['users']);
  });

  test('_entities resolves User references in one batch, null for unknown ids', async () => {
    const carol = await graph.signUp(uniqueEmail('carol'), 'Carol');
    const before = graph.users.database.statements.count;
    const QUERY = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }';
    const result = await graph.users.query(
      QUERY,
      {
        r: [
          { __typename: 'User', id: carol.id },
          { __typename: 'User', id: 'missing' },
          { __typename: 'User', id: carol.id },
        ],
      },
      graph.adminToken,
    );
    expect(result.data!._entities).toEqual([{ id: carol.id, name: 'Carol' }, null, { id: carol.id, name: 'Carol' }]);
    expect(graph.users.database.statements.count - before).toBe(1);
    // Called directly, the subgraph is as strict as the router: anonymous or someone else gets nothing.
    const anonymous = await graph.users.query(QUERY, { r: [{ __typename: 'User', id: carol.id }] });
    expect(anonymous.data!._entities).toEqual([null]);
    expect(anonymous).toHaveErrorCode('UNAUTHENTICATED', ['_entities', 0]);
    const dave = await graph.signUp(uniqueEmail('dave'), 'Dave');
    const other = await graph.users.query(
      QUERY,
      {
        r: [
          { __typename: 'User', id: carol.id },
          { __typename: 'User', id: dave.id },
        ],
      },
      dave.token,
    );
    expect(other.data!._entities).toEqual([null, { id: dave.id, name: 'Dave' }]);
    expect(other).toHaveErrorCode('FORBIDDEN', ['_entities', 0]);
  });

  test('ADMIN_EMAIL taken by a sign-up before the admin was provisioned: promoted only with its password reset', async () => {
    const email = uniqueEmail('future-admin');
    const squatter = await graph.signUp(email, 'Squatter');
    const store = new UsersStore(graph.users.database);
    try {
      await ensureAdmin(store, createLogger('test'), { email, password: 'the-real-admin-password' });
    } finally {
      await store.prisma.$disconnect();
    }
    const old = await graph.users.query(SIGN_IN, { email, password: 'password-123' });
    expect(old).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
    const admin = await graph.users.query(SIGN_IN, { email, password: 'the-real-admin-password' });
    expect(admin.data!.signIn.user.id).toBe(squatter.id);
    expect((await graph.users.query('{ me { role } }', {}, admin.data!.signIn.token)).data!.me.role).toBe('ADMIN');
  });

  test('publishes its JWKS, and /health and /ready answer', async () => {
    const origin = new URL(graph.users.url).origin;
    const jwks = await (await fetch(`${origin}/.well-known/jwks.json`)).json();
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) })]);
    expect(jwks.keys[0].d).toBeUndefined();
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    expect(await (await fetch(`${origin}/ready`)).json()).toMatchObject({ status: 'ready' });
  });

  if (target === 'pglite') {
    test('a second opener of the same data dir, in this process or another, is refused with a clear error', () => {
      const dir = path.join(graph.env.DATA_DIR!, 'users', 'pgdata');
      expect(() => lockDataDir(dir, 'second opener')).toThrow(/already open in this process/);
      const other = spawnSync(
        process.execPath,
        ['--import', 'tsx', '-e', `require('./lib/db/lock').lockDataDir(${JSON.stringify(dir)}, 'other process')`],
        {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
        },
      );
      expect(other.status).not.toBe(0);
      expect(other.stderr).toContain(`is in use by process ${process.pid}`);
    });
  }
});
