import Redis from 'ioredis';

/** A Redis the tests may use (e.g. redis://127.0.0.1:6379); the Redis cases are skipped without it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

/** Removes what a test left under its own key prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  if (!TEST_REDIS_URL) return;
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
