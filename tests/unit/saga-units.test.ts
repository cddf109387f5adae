import { recoveryDelay, startRecoveryLoop } from '../../subgraphs/orders/recovery';
import { requestHash } from '../../subgraphs/orders/request-hash';
import { TransientError, withRetries, type RetryPolicy } from '../../subgraphs/orders/retry';
import type { Logger } from '../../lib/log';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 3,
  attemptTimeoutMs: 1_000,
  baseDelayMs: 1,
  maxDelayMs: 5,
  ...overrides,
});

describe('withRetries', () => {
  test('retries a transient failure up to the number of attempts, then throws it', async () => {
    let tries = 0;
    const failing = () => (tries++, Promise.reject(new TransientError('down')));
    await expect(withRetries(failing, policy())).rejects.toBeInstanceOf(TransientError);
    expect(tries).toBe(3);
  });

  test('never retries an answer (anything but a TransientError)', async () => {
    let tries = 0;
    const refused = () => (tries++, Promise.reject(new Error('409 refused')));
    await expect(withRetries(refused, policy())).rejects.toThrow('409 refused');
    expect(tries).toBe(1);
  });

  test('stops at the first success', async () => {
    let tries = 0;
    const flaky = async () => (++tries < 2 ? Promise.reject(new TransientError('blip')) : 'ok');
    await expect(withRetries(flaky, policy())).resolves.toBe('ok');
    expect(tries).toBe(2);
  });

  test('a deadline already passed makes no attempt; the attempt timeout is cut to the time left', async () => {
    let tries = 0;
    await expect(withRetries(async () => (tries++, 'ok'), policy(), Date.now() - 1)).rejects.toBeInstanceOf(TransientError);
    expect(tries).toBe(0);
    // An attempt that waits for its signal: with 10 attempts allowed, the deadline ends the call first.
    const hang = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => (tries++, reject(new TransientError('no answer')))));
    await expect(withRetries(hang, policy({ attempts: 10, attemptTimeoutMs: 1_000 }), Date.now() + 50)).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(tries).toBeGreaterThanOrEqual(1);
    expect(tries).toBeLessThan(10);
  });

  test('waits are full jitter under an exponential cap', async () => {
    const waits: number[] = [];
    const realSetTimeout = global.setTimeout;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      waits.push(ms ?? 0);
      return realSetTimeout(callback, 0);
    }) as typeof setTimeout);
    try {
      const failing = () => Promise.reject(new TransientError('down'));
      await expect(
        withRetries(failing, policy({ attempts: 5, baseDelayMs: 100, maxDelayMs: 300 }), undefined, () => 0.5),
      ).rejects.toBeInstanceOf(TransientError);
    } finally {
      spy.mockRestore();
    }
    expect(waits.filter((ms) => ms !== 1_000)).toEqual([50, 100, 150, 150]); // half of 100, 200, 300 (capped), 300
  });
});

describe('the recovery loop', () => {
  test('the wait doubles for each pass in a row that could not finish, up to 8 intervals', () => {
    expect([0, 1, 2, 3, 4, 10].map((failed) => recoveryDelay(1_000, failed))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  test('a second pass cannot start while one runs; an unreachable pass backs the loop off, a good one resets it', async () => {
    let passes = 0;
    let finish!: (result: { unreachable: boolean }) => void;
    const loop = startRecoveryLoop(() => (passes++, new Promise<{ unreachable: boolean }>((resolve) => (finish = resolve))), {
      intervalMs: 3_600_000,
      log: quiet,
    });
    try {
      const first = loop.runNow();
      const second = loop.runNow();
      await new Promise((resolve) => setImmediate(resolve));
      expect(passes).toBe(1);
      finish({ unreachable: true });
      await Promise.all([first, second]);
      expect(loop.nextDelayMs()).toBe(7_200_000);
      const third = loop.runNow();
      expect(passes).toBe(2);
      finish({ unreachable: false });
      await third;
      expect(loop.nextDelayMs()).toBe(3_600_000);
    } finally {
      await loop.stop();
    }
  });

  test('a pass that throws is logged once and backs off; stop() waits for a running pass', async () => {
    const errors: string[] = [];
    const loop = startRecoveryLoop(() => Promise.reject(new Error('database down')), {
      intervalMs: 1_000,
      log: { ...quiet, error: (message) => errors.push(message) },
    });
    await loop.runNow();
    expect(errors).toHaveLength(1);
    expect(loop.nextDelayMs()).toBe(2_000);
    let finished = false;
    const slow = startRecoveryLoop(
      () => new Promise((resolve) => setTimeout(() => ((finished = true), resolve({ unreachable: false })), 20)),
      { intervalMs: 1_000, log: quiet },
    );
    void slow.runNow();
    await slow.stop();
    expect(finished).toBe(true);
    await loop.stop();
  });
});

describe('requestHash', () => {
  test('the same lines in any order hash the same; other items or quantities do not', () => {
    const cart = [
      { productId: 'a', quantity: 1 },
      { productId: 'b', quantity: 2 },
    ];
    expect(requestHash([...cart].reverse())).toBe(requestHash(cart));
    expect(
      requestHash([
        { productId: 'a', quantity: 1 },
        { productId: 'b', quantity: 3 },
      ]),
    ).not.toBe(requestHash(cart));
    expect(requestHash([{ productId: 'a', quantity: 1 }])).not.toBe(requestHash(cart));
    expect(
      requestHash([
        { productId: 'a', quantity: 1 },
        { productId: 'c', quantity: 2 },
      ]),
    ).not.toBe(requestHash(cart));
  });
});
