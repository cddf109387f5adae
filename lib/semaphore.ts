/** Thrown by `Semaphore.run` when every slot is busy and the wait queue is full. */
export class SemaphoreFullError extends Error {}

/**
 * At most `limit` tasks at once, and at most `maxQueue` waiting for a slot; any more are refused
 * at once instead of queueing without bound (a queue that grows under load only adds latency).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly maxQueue: number,
  ) {}

  /** Runs `task` when a slot is free; throws SemaphoreFullError without running it if the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueue) throw new SemaphoreFullError(`${this.limit} running and ${this.maxQueue} waiting`);
      // The slot is handed over by `release`, so `active` never drops between one task and the next.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
