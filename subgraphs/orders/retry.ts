/** How a call to another service is bounded. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Each attempt's own deadline, in milliseconds. */
  attemptTimeoutMs: number;
  /** The wait before the first retry is a random time below this; it doubles for each retry after. */
  baseDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

/** Thrown by an attempt that may succeed if tried again: no connection, no answer in time, a 5xx. */
export class TransientError extends Error {}

/**
 * Runs `attempt` until it succeeds, fails for good (anything but a `TransientError`), runs out of
 * attempts, or would pass `deadline` (epoch ms). Waits between attempts are exponential with full
 * jitter (a random time below the doubling cap), so callers that failed together do not retry
 * together. An attempt never runs past the deadline: its own timeout is cut to the time left.
 *
 * A small loop instead of cockatiel's retry+timeout policies: those cannot cut the last attempt to a
 * total deadline, and cockatiel's backoff wait ignores the abort signal, so the total is not bounded.
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  deadline = Number.POSITIVE_INFINITY,
  random: () => number = Math.random,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    const timeLeft = deadline - Date.now();
    try {
      if (timeLeft <= 0) throw new TransientError('no time left for the call');
      return await attempt(AbortSignal.timeout(Math.min(policy.attemptTimeoutMs, timeLeft)));
    } catch (error) {
      if (!(error instanceof TransientError) || tried >= policy.attempts) throw error;
      const wait = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (tried - 1));
      if (Date.now() + wait >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
