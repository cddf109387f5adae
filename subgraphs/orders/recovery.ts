import type { Logger } from '../../lib/log';

/** While products stays unreachable the wait doubles per pass, up to this many intervals. */
const MAX_BACKOFF_INTERVALS = 8;

/** The wait before the next pass: the interval, doubled for each pass in a row that could not finish. */
export function recoveryDelay(intervalMs: number, failedPassesInARow: number): number {
  return intervalMs * Math.min(2 ** failedPassesInARow, MAX_BACKOFF_INTERVALS);
}

export interface RecoveryLoop {
  /** Runs a pass now; if one is running, waits for it instead (passes never overlap). */
  runNow(): Promise<void>;
  /** How long the loop waits before its next pass. */
  nextDelayMs(): number;
  /** No pass starts after this; resolves once a running one has finished. */
  stop(): Promise<void>;
}

/**
 * Runs the recovery pass every `intervalMs`, each pass scheduled only when the last one ended (a
 * self-scheduling timeout, not setInterval), so a slow pass during an outage never stacks up
 * with the next. A pass that could not finish (products unreachable, or an error) backs the
 * loop off. The timer is unref'd: it never keeps the process alive.
 */
export function startRecoveryLoop(
  pass: () => Promise<{ unreachable: boolean }>,
  options: { intervalMs: number; log: Logger },
): RecoveryLoop {
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let failedInARow = 0;
  let stopped = false;

  const once = async () => {
    try {
      failedInARow = (await pass()).unreachable ? failedInARow + 1 : 0;
    } catch (error) {
      failedInARow++;
      options.log.error('recovery pass failed; the next pass retries', { error });
    }
  };
  const runNow = async () => {
    if (running) return running;
    running = once();
    try {
      await running;
    } finally {
      running = null;
    }
  };
  const nextDelayMs = () => recoveryDelay(options.intervalMs, failedInARow);
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runNow().then(schedule), nextDelayMs()).unref();
  };
  schedule();
  return {
    runNow,
    nextDelayMs,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
