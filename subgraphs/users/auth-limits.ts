import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { clientError, ErrorCode } from '../../lib/graphql/errors';
import { consume, type RateLimitStore } from '../../lib/rate-limit';

/** The sign-in and sign-up limits (AUTH_RATE_LIMIT_*, parsed in config.ts). */
export interface AuthLimitsConfig {
  /** signIn + signUp calls one client IP may make per window. @default 30 */
  ipAttempts: number;
  /** @default 60 */
  ipWindowSeconds: number;
  /** Failed signIns one email may have per window; then even the right password waits. @default 10 */
  emailFailures: number;
  /** @default 900 (15 minutes) */
  emailWindowSeconds: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimitsConfig = { ipAttempts: 30, ipWindowSeconds: 60, emailFailures: 10, emailWindowSeconds: 900 };

/**
 * The auth rate limits. Each check runs before any SQL or password hash, so a refused call costs
 * one counter update. The per-email counter guesses on one account from many IPs; the per-IP one
 * stops one client from spraying many accounts (and from spending the server's hashing time).
 */
export class AuthLimits {
  private readonly perIp;
  private readonly emailFailures;

  constructor(store: RateLimitStore, config: AuthLimitsConfig) {
    this.perIp = store.limiter({ name: 'auth:ip', points: config.ipAttempts, durationSeconds: config.ipWindowSeconds });
    this.emailFailures = store.limiter({
      name: 'auth:email-failures',
      points: config.emailFailures,
      durationSeconds: config.emailWindowSeconds,
    });
  }

  /** Counts one signIn or signUp from `clientIp`; RATE_LIMITED once the IP is over its limit. */
  async countAttempt(clientIp: string): Promise<void> {
    const result = await consume(this.perIp, clientIp || 'unknown');
    if (!result.allowed)
      throw rateLimited(
        `Too many sign-in and sign-up attempts from your address: try again in ${wait(result.retryAfterSeconds)}.`,
        result.retryAfterSeconds,
      );
  }

  /**
   * Counts a signIn to `email` as failed before its password is checked, so concurrent guesses
   * cannot overtake the limit; `signedIn` takes it back. RATE_LIMITED once the email is over it.
   */
  async countSignIn(email: string): Promise<void> {
    const result = await consume(this.emailFailures, emailKey(email));
    if (!result.allowed)
      throw rateLimited(
        `Too many failed sign-ins to this account: try again in ${wait(result.retryAfterSeconds)}.`,
        result.retryAfterSeconds,
      );
  }

  /** A successful sign-in clears the email's failures: its owner is not locked out by earlier typos. */
  async signedIn(email: string): Promise<void> {
    await this.emailFailures.delete(emailKey(email));
  }
}

/**
 * Counters are keyed by a digest of the normalized email: case and whitespace variants share one,
 * the key has a fixed length whatever the input, and Redis holds no addresses.
 */
function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

function rateLimited(message: string, retryAfterSeconds: number): GraphQLError {
  return clientError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
}

function wait(seconds: number): string {
  if (seconds < 120) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
