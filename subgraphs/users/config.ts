import path from 'node:path';
import { ConfigError, loadServiceConfig, readInteger, readUrl, type ServiceConfig } from '../../lib/config';
import { DEFAULT_AUTH_LIMITS, type AuthLimitsConfig } from './auth-limits';
import { DEFAULT_SCRYPT_COST, MIN_PRODUCTION_SCRYPT_COST, type PasswordHashing } from './password';
import { DEFAULT_REFRESH_TOKEN_TTL_DAYS } from './refresh-tokens';
import { checkPassword, normalizeEmail } from './validation';

export interface UsersConfig extends ServiceConfig {
  /** PKCS#8 PEM of the Ed25519 key tokens are signed with (`JWT_PRIVATE_KEY`); else kept in the data dir. */
  jwtPrivateKey?: string;
  jwtKeyFile: string;
  /** PEM of the key tokens were signed with before the last rotation (`JWT_PREVIOUS_KEY`): still published and trusted. */
  jwtPreviousKey?: string;
  /** How long a refresh token lasts (`REFRESH_TOKEN_TTL_DAYS`). @default 30 days */
  refreshTokenTtlMs: number;
  /** From ADMIN_EMAIL and ADMIN_PASSWORD: this account is made sure to exist as an ADMIN at start-up. */
  admin?: { email: string; password: string };
  /** Sign-in and sign-up rate limits (`AUTH_RATE_LIMIT_*`). */
  authLimits: AuthLimitsConfig;
  /** Where rate-limit counters live: Redis at `REDIS_URL` (shared by replicas) or memory; keys start with `REDIS_KEY_PREFIX`. */
  rateLimitStore: { redisUrl?: string; keyPrefix: string };
  /** Password hashes at once and waiting, and their cost (`PASSWORD_HASH_CONCURRENCY`, `PASSWORD_HASH_QUEUE_SIZE`, `PASSWORD_SCRYPT_COST`). */
  passwordHashing: PasswordHashing;
}

export function loadUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const base = loadServiceConfig('users', env);
  const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = env;
  if (Boolean(email) !== Boolean(password)) throw new ConfigError('Set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither.');
  let admin: UsersConfig['admin'];
  if (email && password) {
    try {
      admin = { email: normalizeEmail(email), password };
      checkPassword(password);
    } catch (error) {
      throw new ConfigError(`ADMIN_EMAIL/ADMIN_PASSWORD: ${(error as Error).message}`);
    }
  }
  if (base.production && !env.JWT_PRIVATE_KEY) {
    throw new ConfigError('JWT_PRIVATE_KEY must be set in production (an Ed25519 private key in PKCS#8 PEM).');
  }
  const refreshTokenTtlMs = readInteger(env, 'REFRESH_TOKEN_TTL_DAYS', DEFAULT_REFRESH_TOKEN_TTL_DAYS, 1, 365) * 24 * 60 * 60 * 1000;
  return {
    ...base,
    jwtPrivateKey: env.JWT_PRIVATE_KEY,
    jwtKeyFile: path.join(base.dataDir, 'jwt-signing-key.pem'),
    jwtPreviousKey: env.JWT_PREVIOUS_KEY || undefined,
    refreshTokenTtlMs,
    admin,
    ...readAbuseLimits(env, base.production),
  };
}

/** The limits that keep anonymous callers from guessing passwords or saturating the CPU with hashes. */
function readAbuseLimits(
  env: Record<string, string | undefined>,
  production: boolean,
): Pick<UsersConfig, 'authLimits' | 'rateLimitStore' | 'passwordHashing'> {
  const defaults = DEFAULT_AUTH_LIMITS;
  const authLimits = {
    ipAttempts: readInteger(env, 'AUTH_RATE_LIMIT_IP_ATTEMPTS', defaults.ipAttempts, 1, 1_000_000),
    ipWindowSeconds: readInteger(env, 'AUTH_RATE_LIMIT_IP_WINDOW_SECONDS', defaults.ipWindowSeconds, 1, 86_400),
    emailFailures: readInteger(env, 'AUTH_RATE_LIMIT_EMAIL_FAILURES', defaults.emailFailures, 1, 1_000_000),
    emailWindowSeconds: readInteger(env, 'AUTH_RATE_LIMIT_EMAIL_WINDOW_SECONDS', defaults.emailWindowSeconds, 1, 86_400),
  };
  let redisUrl: string | undefined;
  if (env.REDIS_URL) {
    const url = readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379');
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got "${env.REDIS_URL}"`);
    redisUrl = url.href;
  }
  // scrypt runs on libuv's threadpool: more hashes at once than it has threads only queue there.
  const threadpool = readInteger(env, 'UV_THREADPOOL_SIZE', 4, 1, 1024);
  const scryptCost = readInteger(env, 'PASSWORD_SCRYPT_COST', DEFAULT_SCRYPT_COST, 10, 20);
  if (production && scryptCost < MIN_PRODUCTION_SCRYPT_COST) {
    throw new ConfigError(`PASSWORD_SCRYPT_COST must be at least ${MIN_PRODUCTION_SCRYPT_COST} in production (got ${scryptCost}).`);
  }
  return {
    authLimits,
    rateLimitStore: { redisUrl, keyPrefix: env.REDIS_KEY_PREFIX || 'commerce:' },
    passwordHashing: {
      concurrency: readInteger(env, 'PASSWORD_HASH_CONCURRENCY', threadpool, 1, 1024),
      queueSize: readInteger(env, 'PASSWORD_HASH_QUEUE_SIZE', 32, 0, 100_000),
      scryptCost,
    },
  };
}
