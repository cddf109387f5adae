import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { badInput, clientError, ErrorCode } from '../../lib/graphql/errors';
import { Semaphore, SemaphoreFullError } from '../../lib/semaphore';

const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;

/** Longer passwords are refused before hashing: a hash must not cost more for a longer input an attacker chooses. */
export const MAX_PASSWORD_LENGTH = 200;

/** How many hashes may run at once and wait for a slot (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE_SIZE). */
export interface PasswordHashLimits {
  concurrency: number;
  queueSize: number;
}

/**
 * One gate for the whole process, because what it protects is process-wide: scrypt runs on libuv's
 * threadpool (UV_THREADPOOL_SIZE threads, 4 by default) and takes 16 MiB per hash. Past the queue a
 * call fails at once, instead of piling up work and memory until every request times out.
 */
let gate = new Semaphore(4, 32);

/** Sets the gate's size; the users service calls it once at start-up with its config. */
export function limitPasswordHashing(limits: PasswordHashLimits): void {
  gate = new Semaphore(limits.concurrency, limits.queueSize);
}

/** Hashes computed by this process so far (hash and verify alike); tests read it to prove a refusal cost none. */
export const hashingStats = { derivations: 0 };

async function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  try {
    return await gate.run(() => {
      hashingStats.derivations++;
      return new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
      );
    });
  } catch (error) {
    // The server is saturated, not the caller over a quota: SERVICE_UNAVAILABLE, with a short wait to retry after.
    if (error instanceof SemaphoreFullError) {
      throw clientError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is busy checking passwords: try again in a second.', {
        retryAfterSeconds: 1,
      });
    }
    throw error;
  }
}

/** BAD_USER_INPUT for a password too long to be anyone's; call it before any hashing or SQL. */
export function refuseOverlongPassword(password: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw badInput(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, 'password');
  }
}

/** A salted scrypt hash, stored as `scrypt$N$r$p$salt$key` so the parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to verify against when the email is unknown, so timing does not reveal which emails exist. */
export const UNKNOWN_USER_HASH = hashPassword(randomBytes(16).toString('hex'));
