import { randomBytes } from 'node:crypto';
import { deleteKeys, TEST_REDIS_URL } from '../../testing/redis';
import { consume, createRateLimitStore, type RateLimitStore } from '../../lib/rate-limit';
import { Semaphore, SemaphoreFullError } from '../../lib/semaphore';
import type { Logger } from '../../lib/log';
import { AuthLimits } from '../../subgraphs/users/auth-limits';
import { loadUsersConfig } from '../../subgraphs/users/config';
import { configurePasswordHashing, DEFAULT_SCRYPT_COST, hashingStats, hashPassword, verifyPassword } from '../../subgraphs/users/password';

// Unit tests: no database. The Redis cases run when TEST_REDIS_URL names a Redis (e.g. redis://127.0.0.1:6379).
const REDIS_URL = TEST_REDIS_URL;
const STORES = REDIS_URL ? (['memory', 'redis'] as const) : (['memory'] as const);

function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  const log: Logger = {
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
  return { log, lines };
}

const uniquePrefix = () => `test:${randomBytes(6).toString('hex')}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORES)('rate-limit store in %s', (kind) => {
  const prefix = uniquePrefix();
  const stores: RateLimitStore[] = [];
  const open = async () => {
    const store = createRateLimitStore({ redisUrl: kind === 'redis' ? REDIS_URL : undefined, keyPrefix: prefix, log: recordingLog().log });
    stores.push(store);
    expect(await store.connected()).toBe(true);
    return store;
  };
  afterAll(async () => {
    for (const store of stores) await store.close();
    await deleteKeys(prefix);
  });

  test('allows `points` per window, then refuses with whole seconds to wait (at least 1)', async () => {
    const limiter = (await open()).limiter({ name: 'unit', points: 3, durationSeconds: 90 });
    for (let i = 0; i < 3; i++) expect(await consume(limiter, 'k1')).toEqual({ allowed: true });
    const refused = await consume(limiter, 'k1');
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    expect(Number.isInteger(refused.retryAfterSeconds)).toBe(true);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(90);
    expect(await consume(limiter, 'k2')).toEqual({ allowed: true });
  });

  test('a key is allowed again once its window has passed', async () => {
    const limiter = (await open()).limiter({ name: 'window', points: 1, durationSeconds: 1 });
    expect((await consume(limiter, 'k')).allowed).toBe(true);
    const refused = await consume(limiter, 'k');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await sleep(1100);
    expect((await consume(limiter, 'k')).allowed).toBe(true);
  });

  test(kind === 'redis' ? 'two stores (two replicas) share one counter' : 'two stores (two processes) count apart', async () => {
    const options = { name: 'shared', points: 2, durationSeconds: 60 };
    const [limiterA, limiterB] = [(await open()).limiter(options), (await open()).limiter(options)];
    expect((await consume(limiterA, 'k')).allowed).toBe(true);
    expect((await consume(limiterB, 'k')).allowed).toBe(true);
    // Shared: the third point of the window is refused whichever replica asks. Apart: each has two.
    expect((await consume(limiterA, 'k')).allowed).toBe(kind === 'memory');
    expect((await consume(limiterB, 'k')).allowed).toBe(kind === 'memory');
    expect((await consume(limiterA, 'k')).allowed).toBe(false);
  });
});

describe('rate-limit store with Redis unreachable', () => {
  test('starts, keeps limiting in memory, logs one WARN, and closes', async () => {
    const { log, lines } = recordingLog();
    const store = createRateLimitStore({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: uniquePrefix(), log });
    try {
      expect(await store.connected()).toBe(false);
      const limiter = store.limiter({ name: 'down', points: 2, durationSeconds: 60 });
      expect((await consume(limiter, 'k')).allowed).toBe(true);
      expect((await consume(limiter, 'k')).allowed).toBe(true);
      expect((await consume(limiter, 'k')).allowed).toBe(false);
      await sleep(300); // let a reconnect attempt or two fail
      expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      expect(lines[0]!.message).toMatch(/Redis unreachable/);
    } finally {
      await store.close();
    }
  });
});

describe.each(STORES)('AuthLimits on %s', (kind) => {
  const prefix = uniquePrefix();
  const store = createRateLimitStore({ redisUrl: kind === 'redis' ? REDIS_URL : undefined, keyPrefix: prefix, log: recordingLog().log });
  beforeAll(() => store.connected());
  afterAll(async () => {
    await store.close();
    await deleteKeys(prefix);
  });
  const limits = new AuthLimits(store, { ipAttempts: 2, ipWindowSeconds: 60, emailFailures: 2, emailWindowSeconds: 60 });

  test('each IP has its own attempts; over the limit is RATE_LIMITED with retryAfterSeconds', async () => {
    await limits.countAttempt('203.0.113.1');
    await limits.countAttempt('203.0.113.1');
    await expect(limits.countAttempt('203.0.113.1')).rejects.toMatchObject({
      message: expect.stringMatching(/try again in \d+ seconds/),
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
    });
    await expect(limits.countAttempt('203.0.113.2')).resolves.toBeUndefined();
  });

  test('email variants share a counter; a successful sign-in clears it', async () => {
    await limits.countSignIn('ada@example.com');
    await limits.signedIn('  ADA@example.com');
    await limits.countSignIn('Ada@Example.com ');
    await limits.countSignIn('ada@example.com');
    await expect(limits.countSignIn(' ADA@EXAMPLE.COM')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await expect(limits.countSignIn('grace@example.com')).resolves.toBeUndefined();
  });
});

describe('Semaphore', () => {
  test('runs at most `limit` at once, queues up to `maxQueue`, refuses the rest without running them', async () => {
    const semaphore = new Semaphore(2, 1);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const task = () =>
      new Promise<void>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve();
        });
      });
    const accepted = [semaphore.run(task), semaphore.run(task), semaphore.run(task)];
    let ranFourth = false;
    await expect(semaphore.run(async () => void (ranFourth = true))).rejects.toBeInstanceOf(SemaphoreFullError);
    expect(ranFourth).toBe(false);
    await Promise.resolve();
    expect(releases).toHaveLength(2);
    releases.shift()!();
    await sleep(0);
    expect(releases).toHaveLength(2); // the queued task took the freed slot
    releases.splice(0).forEach((release) => release());
    await Promise.all(accepted);
    expect(peak).toBe(2);
    // Slots are all free again.
    await expect(Promise.all([semaphore.run(async () => 1), semaphore.run(async () => 2)])).resolves.toEqual([1, 2]);
  });

  test('a failing task frees its slot', async () => {
    const semaphore = new Semaphore(1, 0);
    await expect(semaphore.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(async () => 'ok')).resolves.toBe('ok');
  });
});

describe('password hashing gate', () => {
  afterAll(() => configurePasswordHashing({ concurrency: 4, queueSize: 32, scryptCost: DEFAULT_SCRYPT_COST }));

  test('past concurrency and queue, hash and verify fail at once with SERVICE_UNAVAILABLE and retryAfterSeconds', async () => {
    configurePasswordHashing({ concurrency: 1, queueSize: 1, scryptCost: DEFAULT_SCRYPT_COST });
    const stored = await hashPassword('password-123');
    const before = hashingStats.derivations;
    const results = await Promise.allSettled([
      hashPassword('a-password'),
      verifyPassword('password-123', stored),
      hashPassword('third-one'),
      verifyPassword('x', stored),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(hashingStats.derivations - before).toBe(2);
    for (const result of results.slice(2)) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } });
    }
    expect((results[1] as PromiseFulfilledResult<boolean>).value).toBe(true);
  });

  test('new hashes take the configured cost; a hash keeps the cost it was made with', async () => {
    configurePasswordHashing({ concurrency: 4, queueSize: 32, scryptCost: DEFAULT_SCRYPT_COST });
    const standard = await hashPassword('password-123');
    expect(standard).toMatch(/^scrypt\$16384\$8\$1\$/);
    configurePasswordHashing({ concurrency: 4, queueSize: 32, scryptCost: 10 });
    const cheap = await hashPassword('password-123');
    expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('password-123', standard)).toBe(true);
    expect(await verifyPassword('password-124', standard)).toBe(false);
    expect(await verifyPassword('password-123', cheap)).toBe(true);
    // 64 MiB: twice what Node's scrypt allows unless told otherwise.
    configurePasswordHashing({ concurrency: 4, queueSize: 32, scryptCost: 16 });
    const costly = await hashPassword('password-123');
    expect(costly).toMatch(/^scrypt\$65536\$8\$1\$/);
    expect(await verifyPassword('password-123', costly)).toBe(true);
  });
});

describe('users config: abuse limits', () => {
  const base = { DATA_DIR: '/tmp/unused' };

  test('defaults: 30 attempts per IP per minute, 10 failures per email per 15 minutes, hashes = threadpool size, memory store', () => {
    const config = loadUsersConfig(base);
    expect(config.authLimits).toEqual({ ipAttempts: 30, ipWindowSeconds: 60, emailFailures: 10, emailWindowSeconds: 900 });
    expect(config.passwordHashing).toEqual({ concurrency: 4, queueSize: 32, scryptCost: 14 });
    expect(config.rateLimitStore).toEqual({ redisUrl: undefined, keyPrefix: 'commerce:' });
    expect(loadUsersConfig({ ...base, UV_THREADPOOL_SIZE: '8' }).passwordHashing.concurrency).toBe(8);
  });

  test.each([
    ['AUTH_RATE_LIMIT_IP_ATTEMPTS', '0'],
    ['AUTH_RATE_LIMIT_IP_WINDOW_SECONDS', 'soon'],
    ['AUTH_RATE_LIMIT_EMAIL_FAILURES', '-1'],
    ['AUTH_RATE_LIMIT_EMAIL_WINDOW_SECONDS', '1.5'],
    ['PASSWORD_HASH_CONCURRENCY', '0'],
    ['PASSWORD_HASH_QUEUE_SIZE', 'many'],
    ['PASSWORD_SCRYPT_COST', '9'],
    ['PASSWORD_SCRYPT_COST', '21'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
  ])('%s=%s fails naming the variable', (name, value) => {
    expect(() => loadUsersConfig({ ...base, [name]: value })).toThrow(name);
  });

  test('production refuses a scrypt cost below 14; tests may go down to 10', () => {
    const production = { ...base, NODE_ENV: 'production', JWT_PRIVATE_KEY: 'unused here' };
    expect(() => loadUsersConfig({ ...production, PASSWORD_SCRYPT_COST: '13' })).toThrow(
      /PASSWORD_SCRYPT_COST must be at least 14 in production/,
    );
    expect(loadUsersConfig({ ...production, PASSWORD_SCRYPT_COST: '15' }).passwordHashing.scryptCost).toBe(15);
    expect(loadUsersConfig({ ...base, PASSWORD_SCRYPT_COST: '10' }).passwordHashing.scryptCost).toBe(10);
  });
});
