import type { Logger } from '../../lib/log';
import type { ProductsStore } from './data';

const FIRST_PURGE_AFTER_MS = 60_000;
const PURGE_EVERY_MS = 3_600_000;

/**
 * Purges RELEASED reservations older than `retentionMs`, a minute after start and then hourly.
 * Each run is scheduled when the last one ended, so runs never overlap; the timer is unref'd so it
 * never keeps the process alive, and `stop()` clears it.
 */
export function startPurgeLoop(store: ProductsStore, retentionMs: number, log: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    try {
      const purged = await store.purgeReleased(new Date(Date.now() - retentionMs));
      if (purged > 0) log.info('purged released stock reservations', { purged, retentionMs });
    } catch (error) {
      log.warn('could not purge released stock reservations; the next run retries', { error });
    }
    schedule(PURGE_EVERY_MS);
  };
  const schedule = (delay: number) => {
    if (!stopped)
      timer = setTimeout(() => {
        running = run();
      }, delay).unref();
  };
  schedule(FIRST_PURGE_AFTER_MS);
  return {
    /** No run starts after this; resolves once a running one has finished (before the database closes). */
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
