import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { buildSchema } from 'graphql';
import { NotReadyError } from '../../lib/readiness';
import { createLogger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { loadEdgeConfig } from '../../lib/edge-config';
import { startService } from '../../lib/server';
import { SUPERGRAPH_FILE } from '../../router/compose';
import { freePort } from '../../testing/harness';

const launched = new Set<ChildProcess>();
// A failed assertion can leave a service draining or running: never leave it behind.
afterAll(() => launched.forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));

/** A service as `npm start` runs it: its own process, on the embedded database. */
function launch(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entry)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', ...env },
  });
  launched.add(child);
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits until the process has printed `pattern`; returns the first match. */
async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`never printed ${pattern}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the products subgraph on `dataDir` and a free port; resolves once it is ready. */
async function launchProducts(dataDir: string, env: Record<string, string> = {}) {
  const service = launch('subgraphs/products/index.ts', { DATA_DIR: dataDir, PRODUCTS_PORT: '0', ...env });
  // Port 0: learn the port from the "ready" log line.
  const [, url = '', port] = await waitForOutput(service.output, /"url":"(http:\/\/localhost:(\d+))\/graphql"/);
  await waitFor(`${url}/ready`);
  return { ...service, url, port: Number(port) };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A plain TCP connection speaking HTTP/1.1 by hand, so a test decides which bytes the server has
 * when. Bytes sent in one small write arrive together on loopback: once the server answers the
 * first request of a write, it has also read the (unfinished) request after it, which makes the
 * connection busy rather than idle, so closing the server leaves it open.
 */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  socket.on('data', (chunk) => ((received = Buffer.concat([received, chunk])), wake()));
  socket.on('close', () => ((closed = true), wake()));
  socket.on('error', () => {});
  return {
    write: (text: string) => new Promise<void>((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve()))),
    /** The next whole response (each carries Content-Length here). */
    async response(): Promise<RawResponse> {
      for (;;) {
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd >= 0) {
          const [statusLine, ...lines] = received.subarray(0, headEnd).toString().split('\r\n');
          const headers = Object.fromEntries(
            lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
          );
          const end = headEnd + 4 + Number(headers['content-length']);
          if (received.length >= end) {
            const body = received.subarray(headEnd + 4, end).toString();
            received = received.subarray(end);
            return { status: Number(statusLine!.split(' ')[1]), headers, body };
          }
        }
        if (closed) throw new Error(`connection closed before a whole response; got ${JSON.stringify(received.toString())}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    closed: () => new Promise<void>((resolve) => (closed ? resolve() : socket.once('close', () => resolve()))),
  };
}

const HEALTH = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
const LOOKUP = JSON.stringify({ query: '{ productBySku(sku: "no-such-sku") { id } }' });
const LOOKUP_HEAD = `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(LOOKUP)}\r\n\r\n`;

/** A GraphQL POST whose body is half sent: in flight, and known to have reached the server. */
async function halfSentLookup(port: number) {
  const connection = rawConnection(port);
  await connection.write(HEALTH + LOOKUP_HEAD + LOOKUP.slice(0, LOOKUP.length / 2));
  expect((await connection.response()).status).toBe(200);
  return { ...connection, finish: () => connection.write(LOOKUP.slice(LOOKUP.length / 2)) };
}

async function connectionError(url: string): Promise<string | undefined> {
  try {
    await fetch(url);
    return undefined;
  } catch (error) {
    return ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

async function waitFor(url: string, status = 200, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === status) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered ${status}`);
}

describe('service processes', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-lifecycle-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('a subgraph starts, refuses a second process on its data dir, and exits 0 on SIGTERM', async () => {
    const first = await launchProducts(dataDir);
    const lockFile = path.join(dataDir, 'products', 'pgdata.lock');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(first.child.pid);

    const second = launch('subgraphs/products/index.ts', { DATA_DIR: dataDir, PRODUCTS_PORT: '0' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`is in use by process ${first.child.pid} (products service`);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  test('SIGTERM drains: probes answer 503, new connections are refused, a request in flight completes', async () => {
    const products = await launchProducts(dataDir);
    const inFlight = await halfSentLookup(products.port);
    // A health probe half sent, on a connection that has already been answered once.
    const probe = rawConnection(products.port);
    await probe.write(`${HEALTH}GET /health HTTP/1.1\r\nHost: localhost\r\n`);
    expect((await probe.response()).status).toBe(200);

    products.child.kill('SIGTERM');
    await waitForOutput(products.output, /"message":"draining","signal":"SIGTERM"/);
    expect(await connectionError(`${products.url}/health`)).toBe('ECONNREFUSED');

    await probe.write('\r\n');
    const health = await probe.response();
    expect({ status: health.status, body: JSON.parse(health.body) }).toEqual({
      status: 503,
      body: { status: 'draining', service: 'products' },
    });
    expect(health.headers.connection).toBe('close');

    await inFlight.finish();
    const answer = await inFlight.response();
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 200, body: { data: { productBySku: null } } });
    expect(answer.headers.connection).toBe('close');

    expect(await products.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'products', 'pgdata.lock'))).toBe(false);
  });

  test('the same signal again while draining exits at once; another signal does not', async () => {
    const products = await launchProducts(dataDir);
    const inFlight = await halfSentLookup(products.port); // holds the drain open

    products.child.kill('SIGINT');
    await waitForOutput(products.output, /"message":"draining","signal":"SIGINT"/);
    // What Ctrl-C under `npm start` adds: the supervisor's SIGTERM.
    products.child.kill('SIGTERM');
    await waitForOutput(products.output, /SIGTERM ignored: already stopping on SIGINT/);
    products.child.kill('SIGINT');
    expect(await products.exited).toBe(130);
    await inFlight.closed();
    expect(products.output()).toContain('SIGINT again while stopping: exiting now');
  });

  test('requests still running when SHUTDOWN_GRACE_MS is over are cut, and the process still exits 0', async () => {
    const products = await launchProducts(dataDir, { SHUTDOWN_GRACE_MS: '200' });
    const stuck = await halfSentLookup(products.port); // never finished

    products.child.kill('SIGTERM');
    expect(await products.exited).toBe(0);
    await expect(stuck.response()).rejects.toThrow('connection closed before a whole response');
    expect(products.output()).toContain('shutdown grace over: closing the connections still open');
    expect(fs.existsSync(path.join(dataDir, 'products', 'pgdata.lock'))).toBe(false);
  });

  test('a bad SHUTDOWN_GRACE_MS is refused at start-up, naming it', async () => {
    const products = launch('subgraphs/products/index.ts', { DATA_DIR: dataDir, PRODUCTS_PORT: '0', SHUTDOWN_GRACE_MS: '10s' });
    expect(await products.exited).toBe(1);
    expect(products.output()).toContain('SHUTDOWN_GRACE_MS must be a whole number between 0 and 600000, got "10s"');
  });

  test('the router fails fast, naming the variable, when SUPERGRAPH_PATH points nowhere', async () => {
    const router = launch('router/index.ts', { SUPERGRAPH_PATH: path.join(dataDir, 'missing.graphql'), ROUTER_PORT: '0' });
    expect(await router.exited).toBe(1);
    expect(router.output()).toContain('SUPERGRAPH_PATH: no file at');
  });

  test('a bad port is refused at start-up with a message naming it', async () => {
    const users = launch('subgraphs/users/index.ts', { DATA_DIR: dataDir, USERS_PORT: 'eighty' });
    expect(await users.exited).toBe(1);
    expect(users.output()).toContain('USERS_PORT must be a port number');
  });
});

describe('ROUTER_WORKERS: router processes sharing one port', () => {
  test('two workers answer on one port, their metrics are added up on METRICS_PORT, and SIGTERM stops all', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const router = launch('router/index.ts', { ROUTER_WORKERS: '2', ROUTER_PORT: String(port), METRICS_PORT: String(metricsPort) });
    await waitForOutput(router.output, /router ready[\s\S]*router ready/);
    const requests = 20;
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ query: 'query Probe { __typename }' }),
      });
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain(`graphql_requests_total{operation="Probe",outcome="ok",service="router"} ${requests}`);
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);
    expect(router.output()).toContain('all router workers stopped');
  });

  test('the same signal again while workers drain kills them, and the primary exits 128 + its number, as one service does', async () => {
    const port = await freePort();
    const router = launch('router/index.ts', { ROUTER_WORKERS: '2', ROUTER_PORT: String(port) });
    await waitForOutput(router.output, /router ready[\s\S]*router ready/);
    await halfSentLookup(port); // keeps its worker draining
    router.child.kill('SIGTERM');
    await waitForOutput(router.output, /stopping the router workers/);
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(143);
    expect(router.output()).toContain('SIGTERM again while stopping: exiting now');
  });

  test('workers that cannot start stop the primary with exit 1', async () => {
    const router = launch('router/index.ts', {
      ROUTER_WORKERS: '2',
      ROUTER_PORT: String(await freePort()),
      SUPERGRAPH_PATH: path.join(os.tmpdir(), 'no-such-supergraph.graphql'),
    });
    expect(await router.exited).toBe(1);
    expect(router.output()).toContain('SUPERGRAPH_PATH: no file at');
    expect(router.output()).toContain('a router worker died while starting');
  });
});

describe('the router while the supergraph loads', () => {
  test('GET /health and /graphql answer 503 until the supergraph is loaded, then 200', async () => {
    let load!: () => void;
    const loaded = new Promise<void>((resolve) => (load = resolve));
    const supergraphSdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
    const gateway = new ApolloGateway({ supergraphSdl: async () => (await loaded, { supergraphSdl }) });
    const port = await freePort();
    const starting = startService(
      {
        name: 'router',
        log: createLogger('router'),
        production: false,
        edge: loadEdgeConfig({}, false),
        graph: { gateway },
        context: async () => ({}),
      },
      { port },
    );
    await waitFor(`http://localhost:${port}/health`, 503);
    const early = await fetch(`http://localhost:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(early.status).toBe(503);
    expect(await early.json()).toHaveErrorCode('SERVICE_UNAVAILABLE');
    load();
    const running = await starting;
    try {
      expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });
});

describe('GET /ready', () => {
  test('shows reasons meant to be shown, and hides driver errors that name hosts', async () => {
    let failure: Error = new NotReadyError('migrations not applied: 20260101000000_init');
    const running = await startService(
      {
        name: 'probe',
        log: createLogger('probe'),
        production: false,
        edge: loadEdgeConfig({}, false),
        graph: { schema: buildSchema('type Query { ok: Boolean }') },
        context: async () => ({}),
        checkReady: async () => {
          throw failure;
        },
      },
      { port: 0 },
    );
    try {
      const ready = () =>
        fetch(`http://localhost:${running.port}/ready`).then(async (response) => ({
          status: response.status,
          body: await response.json(),
        }));
      expect(await ready()).toEqual({
        status: 503,
        body: { status: 'not ready', service: 'probe', reason: 'migrations not applied: 20260101000000_init' },
      });
      failure = new Error('connect ECONNREFUSED 10.1.2.3:5432');
      const hidden = await ready();
      expect(hidden.status).toBe(503);
      expect(JSON.stringify(hidden.body)).not.toContain('10.1.2.3');
    } finally {
      await running.stop();
    }
  });
});
