import { randomBytes } from 'node:crypto';
import { deleteKeys, TEST_REDIS_URL } from '../../testing/redis';
import { startService } from '../../lib/server';
import { loadUsersConfig } from '../../subgraphs/users/config';
import { hashingStats } from '../../subgraphs/users/password';
import { buildUsersService } from '../../subgraphs/users/server';
import { queryAt, startSupergraph, type GraphQLResponse, type QueryFn, type Supergraph } from '../../testing/harness';
import { uniqueEmail, uniqueSuffix } from '../../testing/data';
import { createTestDatabases, TARGETS, type Target } from '../../testing/databases';

// The Redis cases run when TEST_REDIS_URL names a Redis (e.g. redis://127.0.0.1:6379); each run uses its own key prefix.
const REDIS_URL = TEST_REDIS_URL;
const STORES = REDIS_URL ? (['memory', 'redis'] as const) : (['memory'] as const);
type StoreKind = (typeof STORES)[number];

const SIGN_IN = /* GraphQL */ `
  mutation ($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { token }
  }
`;
const SIGN_UP = /* GraphQL */ `
  mutation ($input: SignUpInput!) {
    signUp(input: $input) { token }
  }
`;

/** Expects `result` to have no errors (`'OK'`), or an error with the code `outcome` at `path`. */
function expectOutcome(result: GraphQLResponse, outcome: string, path: string[]): void {
  if (outcome === 'OK') expect(result.errors).toBeUndefined();
  else expect(result).toHaveErrorCode(outcome, path);
}

function storeEnv(kind: StoreKind, prefix: string): Record<string, string> {
  return kind === 'redis' ? { REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix } : {};
}

/** A users service alone, on its own fresh database, with `env` added to its configuration. */
async function startUsers(target: Target, env: Record<string, string>): Promise<{ query: QueryFn; stop(): Promise<void> }> {
  const databases = await createTestDatabases(target, ['users']);
  try {
    const service = await startService(
      await buildUsersService(loadUsersConfig({ ...databases.env, NODE_ENV: 'test', PASSWORD_SCRYPT_COST: '10', ...env })),
      {
        port: 0,
      },
    );
    return { query: queryAt(service.url), stop: async () => (await service.stop(), await databases.drop()) };
  } catch (error) {
    await databases.drop();
    throw error;
  }
}

describe.each(TARGETS)('auth rate limits on %s', (target) => {
  describe.each(STORES)('counters in %s', (kind) => {
    const prefix = `test:auth-limits:${randomBytes(6).toString('hex')}:`;
    afterAll(() => deleteKeys(prefix));

    describe('per email, with the default limit (10 failures per 15 minutes)', () => {
      let graph: Supergraph;
      beforeAll(async () => {
        graph = await startSupergraph(target, storeEnv(kind, prefix));
      });
      afterAll(() => graph?.stop());
      const signIn = (email: string, password: string) => graph.users.query(SIGN_IN, { email, password });

      test('the 11th attempt after 10 failures is RATE_LIMITED, for the right password too, and costs no hash; other emails are unaffected', async () => {
        const local = `victim-${uniqueSuffix()}`;
        const victim = `${local}@example.com`;
        const bystander = uniqueEmail('bystander');
        await graph.signUp(victim);
        await graph.signUp(bystander);
        // Case and whitespace variants of the email count as the same account.
        const variants = [victim, victim.toUpperCase(), `  V${local.slice(1)}@Example.com `];
        for (let i = 0; i < 10; i++) {
          expect(await signIn(variants[i % 3]!, `wrong-${i}`)).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
        }
        const hashesBefore = hashingStats.derivations;
        for (const password of ['wrong-again', 'password-123']) {
          const refused = await signIn(victim, password);
          expect(refused).toHaveErrorCode('RATE_LIMITED', ['signIn']);
          const retryAfter = refused.errors![0]!.extensions!.retryAfterSeconds as number;
          expect(Number.isInteger(retryAfter)).toBe(true);
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          expect(retryAfter).toBeLessThanOrEqual(900);
          expect(refused.errors![0]!.message).toMatch(/try again in \d+ (seconds|minutes)/);
          expect(refused.data).toBeNull();
        }
        expect(hashingStats.derivations).toBe(hashesBefore);
        // Same client IP, another email: only the email's counter is exhausted.
        expect((await signIn(bystander, 'password-123')).errors).toBeUndefined();
      });

      test('a successful sign-in clears the failures of that email', async () => {
        const typo = uniqueEmail('typo');
        await graph.signUp(typo);
        for (let i = 0; i < 9; i++) expect(await signIn(typo, 'wrong')).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
        expect((await signIn(typo, 'password-123')).errors).toBeUndefined();
        for (let i = 0; i < 10; i++) expect(await signIn(typo, 'wrong')).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
        expect(await signIn(typo, 'password-123')).toHaveErrorCode('RATE_LIMITED', ['signIn']);
      });

      test('a password over 200 characters is BAD_USER_INPUT naming password, before any hash', async () => {
        const email = uniqueEmail('long-password');
        await graph.signUp(email);
        const hashesBefore = hashingStats.derivations;
        for (const password of ['x'.repeat(201), 'y'.repeat(500_000)]) {
          const result = await signIn(email, password);
          expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
          expect(result.errors![0]!.message).toMatch(/at most 200 characters/);
        }
        expect(hashingStats.derivations).toBe(hashesBefore);
      });
    });

    describe('per IP (3 signIn + signUp attempts per minute here)', () => {
      const small = { AUTH_RATE_LIMIT_IP_ATTEMPTS: '3', AUTH_RATE_LIMIT_EMAIL_FAILURES: '2' };
      let a: Awaited<ReturnType<typeof startUsers>>;
      let b: Awaited<ReturnType<typeof startUsers>>;
      beforeAll(async () => {
        // Two users services (two replicas) on separate databases: with Redis they share the counters.
        a = await startUsers(target, { ...small, ...storeEnv(kind, `${prefix}ip:`) });
        b = await startUsers(target, { ...small, ...storeEnv(kind, `${prefix}ip:`) });
      });
      afterAll(async () => {
        await a?.stop();
        await b?.stop();
      });

      test(`signIn and signUp share the IP's attempts; ${kind === 'redis' ? 'both replicas count together' : 'each process counts its own'}`, async () => {
        const signUp = (service: typeof a, email: string) =>
          service.query(SIGN_UP, { input: { email, password: 'password-123', name: 'N' } });
        expect((await signUp(a, 'one@example.com')).errors).toBeUndefined();
        expect((await a.query(SIGN_IN, { email: 'one@example.com', password: 'password-123' })).errors).toBeUndefined();
        expect(await b.query(SIGN_IN, { email: 'nobody@example.com', password: 'password-123' })).toHaveErrorCode('INVALID_CREDENTIALS', [
          'signIn',
        ]);
        // The fourth call in the minute: over the limit when the replicas share counters; a's third when they don't.
        expectOutcome(await signUp(a, 'two@example.com'), kind === 'redis' ? 'RATE_LIMITED' : 'OK', ['signUp']);
        const hashesBefore = hashingStats.derivations;
        const refused = await a.query(SIGN_IN, { email: 'one@example.com', password: 'password-123' });
        expect(refused.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
        expect(refused.errors![0]!.message).toMatch(/from your address: try again in \d+ seconds/);
        expect(hashingStats.derivations).toBe(hashesBefore);
        expectOutcome(
          await b.query(SIGN_IN, { email: 'other@example.com', password: 'whatever-1' }),
          kind === 'redis' ? 'RATE_LIMITED' : 'INVALID_CREDENTIALS',
          ['signIn'],
        );
      });
    });

    if (kind === 'redis') {
      test("one replica's failures for an email count on the other", async () => {
        const env = { AUTH_RATE_LIMIT_EMAIL_FAILURES: '2', ...storeEnv(kind, `${prefix}email:`) };
        const [a, b] = [await startUsers(target, env), await startUsers(target, env)];
        try {
          expect(await a.query(SIGN_IN, { email: 'shared@example.com', password: 'wrong-1' })).toHaveErrorCode('INVALID_CREDENTIALS', [
            'signIn',
          ]);
          expect(await b.query(SIGN_IN, { email: 'Shared@example.com', password: 'wrong-2' })).toHaveErrorCode('INVALID_CREDENTIALS', [
            'signIn',
          ]);
          expect(await a.query(SIGN_IN, { email: 'shared@example.com', password: 'wrong-3' })).toHaveErrorCode('RATE_LIMITED', ['signIn']);
          expect(await b.query(SIGN_IN, { email: 'shared@example.com', password: 'wrong-3' })).toHaveErrorCode('RATE_LIMITED', ['signIn']);
        } finally {
          await a.stop();
          await b.stop();
        }
      });
    }
  });

  test('a users service starts and signs in while Redis is unreachable (counting in memory), and stops', async () => {
    const users = await startUsers(target, { REDIS_URL: 'redis://127.0.0.1:1', AUTH_RATE_LIMIT_EMAIL_FAILURES: '1' });
    try {
      await users.query(SIGN_UP, { input: { email: 'offline@example.com', password: 'password-123', name: 'N' } });
      expect((await users.query(SIGN_IN, { email: 'offline@example.com', password: 'password-123' })).errors).toBeUndefined();
      expect(await users.query(SIGN_IN, { email: 'offline@example.com', password: 'wrong-one' })).toHaveErrorCode('INVALID_CREDENTIALS', [
        'signIn',
      ]);
      expect(await users.query(SIGN_IN, { email: 'offline@example.com', password: 'password-123' })).toHaveErrorCode('RATE_LIMITED', [
        'signIn',
      ]);
    } finally {
      await users.stop();
    }
  });
});
