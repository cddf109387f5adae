import net from 'node:net';

/** Linux's ephemeral ports start here: outgoing connections and listeners on port 0 take them. */
const EPHEMERAL_START = 32768;
/** Under jest, each worker picks from a block of its own below EPHEMERAL_START. */
const BLOCK_START = 20_000;
const BLOCK_SIZE = 500;

let nextInBlock = 0;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on right now, for a service a test or benchmark is about to start.
 *
 * Under jest a port comes from the worker's own block below the ephemeral range, handed out once.
 * A port the OS picked (port 0) could be picked again for another worker's service, or taken by an
 * outgoing connection, before this one's service listens on it, which can be seconds later for a
 * spawned process: then one of them fails with EADDRINUSE. Outside jest (benchmarks), the OS picks.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID);
  if (!Number.isInteger(worker) || worker < 1) return osPickedPort();
  const block = BLOCK_START + (worker - 1) * BLOCK_SIZE;
  if (block + BLOCK_SIZE > EPHEMERAL_START) return osPickedPort();
  for (let tried = 0; tried < BLOCK_SIZE; tried++) {
    const port = block + (nextInBlock++ % BLOCK_SIZE);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${block}-${block + BLOCK_SIZE - 1} (jest worker ${worker})`);
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
