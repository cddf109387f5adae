import net from 'node:net';
import { freePort } from '../../testing/free-port';

describe('freePort under jest', () => {
  test("hands out distinct ports from this worker's own block, below the ephemeral range outgoing connections use", async () => {
    const worker = Number(process.env.JEST_WORKER_ID);
    const block = 20_000 + (worker - 1) * 500;
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(block);
      expect(port).toBeLessThan(Math.min(block + 500, 32_768));
    }
  });

  test('skips a port something already listens on', async () => {
    const next = await freePort();
    // Whatever comes after `next` in the block is taken now: freePort must not return it.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(next + 1, resolve));
    try {
      expect(await freePort()).not.toBe(next + 1);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
