import path from 'node:path';
import { ConfigError, loadServiceConfig, readInteger, type ServiceConfig } from '../../lib/config';
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
  };
}
