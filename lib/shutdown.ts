import { readInteger } from './config';
import type { Logger } from './log';
import type { RunningService } from './server';

/** How long a stopping service waits for requests in progress (`SHUTDOWN_GRACE_MS`). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export function loadShutdownGraceMs(env: Record<string, string | undefined> = process.env): number {
  return readInteger(env, 'SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000);
}

/** The signals that stop a service (and the router's worker primary, router/workers.ts). */
export const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type Signal = (typeof SIGNALS)[number];
/** What a process killed by a second signal exits with: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES: Record<Signal, number> = { SIGTERM: 143, SIGINT: 130 };

/**
 * Installs the SIGTERM/SIGINT handling of a service process: the first signal drains it
 * (`RunningService.stop`) and exits 0, or 1 with the reason on stderr if closing failed. The same
 * signal again exits at once (128 + its number). A different one while draining is only logged:
 * Ctrl-C under `npm start` sends each child SIGINT from the terminal and SIGTERM from the
 * supervisor, and that must not cut the drain short. A signal during start-up is acted on once
 * the service has started, so its database is never left half-opened.
 */
export function handleTerminationSignals(graceMs: number): { started(running: RunningService, log: Logger): void } {
  let received: Signal | undefined;
  let service: { running: RunningService; log: Logger } | undefined;

  const stop = (signal: Signal, { running, log }: NonNullable<typeof service>) => {
    const stopped = running.stop({ graceMs });
    log.info('draining', { signal, graceMs });
    stopped.then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Failed to stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (received === signal) {
        process.stderr.write(`${signal} again while stopping: exiting now\n`);
        process.exit(SIGNAL_EXIT_CODES[signal]);
      }
      if (received) {
        service?.log.info(`${signal} ignored: already stopping on ${received}; send ${received} again to exit now`);
        return;
      }
      received = signal;
      if (service) stop(signal, service);
    });
  }
  return {
    started(running, log) {
      service = { running, log };
      if (received) stop(received, service);
    },
  };
}
