import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from './log';

/** Where rate-limit counters live: this process's memory, or a Redis that every replica shares. */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  /** A fixed-window limiter: `points` per `durationSeconds` per key, its keys under `<keyPrefix><name>:`. */
  limiter(options: { name: string; points: number; durationSeconds: number }): RateLimiterAbstract;
  /**
   * Resolves once the store can be used: at once for memory; for Redis when connected, or `false`
   * as soon as the first attempt fails (the limiters then count in memory until Redis is back).
   */
  connected(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RateLimitStoreOptions {
  /** `redis://` or `rediss://` URL; unset keeps the counters in memory (one process only). */
  redisUrl?: string;
  /** Prefix of every Redis key, e.g. `commerce:`. */
  keyPrefix: string;
  log: Logger;
}

/** How long a Redis command may take before the in-memory insurance limiter answers instead. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

export function createRateLimitStore(options: RateLimitStoreOptions): RateLimitStore {
  if (!options.redisUrl) {
    return {
      kind: 'memory',
      limiter: ({ name, points, durationSeconds }) =>
        new RateLimiterMemory({ keyPrefix: options.keyPrefix + name, points, duration: durationSeconds }),
      connected: async () => true,
      close: async () => {},
    };
  }
  const redis = connectRedis(options.redisUrl, options.log);
  return {
    kind: 'redis',
    // ioredis is rate-limiter-flexible's default client: `storeClient` only (`useRedisPackage` is
    // for the `redis` package). While Redis is unreachable each process falls back to its own
    // in-memory counters (the insurance limiter): limits stay enforced, per replica, rather than
    // failing open, and sign-in keeps working.
    limiter: ({ name, points, durationSeconds }) =>
      new RateLimiterRedis({
        storeClient: redis,
        rejectIfRedisNotReady: true,
        keyPrefix: options.keyPrefix + name,
        points,
        duration: durationSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: options.keyPrefix + name, points, duration: durationSeconds }),
      }),
    connected: () => firstConnection(redis),
    close: async () => {
      // disconnect, not quit: quit waits for a Redis that may be down, and no reply is worth waiting for at shutdown.
      redis.disconnect();
    },
  };
}

/**
 * A client that never holds up start-up or a request: it connects (and reconnects) in the
 * background, and a command sent while it is not connected fails at once instead of queueing.
 */
function connectRedis(url: string, log: Logger): Redis {
  // Loaded only when a Redis is configured: a process counting in memory (and every unit test of
  // code that takes a RateLimitStore) never loads the driver.
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const redis = new RedisClient(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
  });
  let available = true;
  // Without an 'error' listener ioredis reports every failed reconnect as an unhandled error; log the outage once.
  redis.on('error', (error: Error) => {
    if (!available) return;
    available = false;
    log.warn('rate-limit Redis unreachable: counting in memory, per process, until it is back', { error: error.message });
  });
  redis.on('ready', () => {
    if (!available) log.info('rate-limit Redis reachable again: counters are shared again');
    available = true;
  });
  return redis;
}

/** Start-up waits for this, so a replica shares its counters from its first request, but never longer than one attempt. */
function firstConnection(redis: Redis): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      redis.off('ready', onReady).off('error', onFailure).off('end', onFailure);
      resolve(ok);
    };
    const onReady = settle(true);
    const onFailure = settle(false);
    redis.once('ready', onReady).once('error', onFailure).once('end', onFailure);
  });
}

/** The outcome of spending one point: allowed, or refused with when to try again. */
export type Consumed = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Spends one point of `key`; a refusal says how many whole seconds (at least 1) until the window resets. */
export async function consume(limiter: RateLimiterAbstract, key: string): Promise<Consumed> {
  try {
    await limiter.consume(key);
    return { allowed: true };
  } catch (rejection) {
    // rate-limiter-flexible rejects with a RateLimiterRes when the limit is reached, with an Error when the store failed.
    if (rejection instanceof RateLimiterRes)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
    throw rejection;
  }
}
