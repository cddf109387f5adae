import { requestHash } from '../subgraphs/orders/request-hash';
import { TransientError, withRetries, type RetryPolicy } from '../subgraphs/orders/retry';

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({ attempts: 3, attemptTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5, ...overrides });

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
    await expect(withRetries(hang, policy({ attempts: 10, attemptTimeoutMs: 1_000 }), Date.now() + 50)).rejects.toBeInstanceOf(TransientError);
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
      await expect(withRetries(failing, policy({ attempts: 5, baseDelayMs: 100, maxDelayMs: 300 }), undefined, () => 0.5)).rejects.toBeInstanceOf(TransientError);
    } finally {
      spy.mockRestore();
    }
    expect(waits.filter((ms) => ms !== 1_000)).toEqual([50, 100, 150, 150]); // half of 100, 200, 300 (capped), 300
  });
});

describe('requestHash', () => {
  test('the same lines in any order hash the same; other items or quantities do not', () => {
    const cart = [{ productId: 'a', quantity: 1 }, { productId: 'b', quantity: 2 }];
    expect(requestHash([...cart].reverse())).toBe(requestHash(cart));
    expect(requestHash([{ productId: 'a', quantity: 1 }, { productId: 'b', quantity: 3 }])).not.toBe(requestHash(cart));
    expect(requestHash([{ productId: 'a', quantity: 1 }])).not.toBe(requestHash(cart));
    expect(requestHash([{ productId: 'a', quantity: 1 }, { productId: 'c', quantity: 2 }])).not.toBe(requestHash(cart));
  });
});
