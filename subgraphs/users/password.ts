import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { badInput, clientError, ErrorCode } from '../../lib/graphql/errors';
import { Semaphore, SemaphoreFullError } from '../../lib/semaphore';

/** scrypt's cost is N = 2^cost; each hash then takes 128 * N * r bytes (16 MiB at the default). */
export const DEFAULT_SCRYPT_COST = 14;
/** The lowest cost production accepts; lower ones exist for tests, whose hundreds of sign-ups would otherwise dominate their CPU. */
export const MIN_PRODUCTION_SCRYPT_COST = 14;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;

/** Longer passwords are refused before hashing: a hash must not cost more for a longer input an attacker chooses. */
export const MAX_PASSWORD_LENGTH = 200;

/** How new hashes are made, and how many may run at once and wait for a slot. */
export interface PasswordHashing {
  /** PASSWORD_HASH_CONCURRENCY */
  concurrency: number;
  /** PASSWORD_HASH_QUEUE_SIZE */
  queueSize: number;
  /** PASSWORD_SCRYPT_COST: log2 of scrypt's N for new hashes; existing hashes keep the cost they were made with. */
  scryptCost: number;
}

/**
 * One gate for the whole process, because what it protects is process-wide: scrypt runs on libuv's
 * threadpool (UV_THREADPOOL_SIZE threads, 4 by default) and takes 16 MiB per hash. Past the queue a
 * call fails at once, instead of piling up work and memory until every request times out.
 */
let gate = new Semaphore(4, 32);
let scryptCost = DEFAULT_SCRYPT_COST;

/** Sets the gate's size and the cost of new hashes; the users service calls it once at start-up with its config. */
export function configurePasswordHashing(settings: PasswordHashing): void {
  gate = new Semaphore(settings.concurrency, settings.queueSize);
  scryptCost = settings.scryptCost;
}

/** Hashes computed by this process so far (hash and verify alike); tests read it to prove a refusal cost none. */
export const hashingStats = { derivations: 0 };

async function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  try {
    return await gate.run(() => {
      hashingStats.derivations++;
      // Node refuses more than 32 MiB by default: allow what these parameters need (cost 17 needs 128 MiB).
      const maxmem = 2 * 128 * options.N! * options.r!;
      return new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem }, (error, key) =>
          error ? reject(error) : resolve(key),
        ),
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
  const N = 2 ** scryptCost;
  const key = await derive(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let unknownUser: { cost: number; hash: Promise<string> } | undefined;

/**
 * A hash to verify against when the email is unknown, so timing does not reveal which emails
 * exist. Made at the cost new hashes are made with, once per cost (not at import time, which is
 * before the service has configured that cost).
 */
export function unknownUserHash(): Promise<string> {
  if (unknownUser?.cost !== scryptCost) {
    const entry = { cost: scryptCost, hash: hashPassword(randomBytes(16).toString('hex')) };
    // A failure (the gate full) is not kept: the next sign-in tries again.
    entry.hash.catch(() => {
      if (unknownUser === entry) unknownUser = undefined;
    });
    unknownUser = entry;
  }
  return unknownUser.hash;
}
