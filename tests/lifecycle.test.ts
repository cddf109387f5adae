import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { buildSchema } from 'graphql';
import { NotReadyError } from '../lib/readiness';
import { createLogger } from '../lib/log';
import { PROJECT_ROOT } from '../lib/paths';
import { loadEdgeConfig } from '../lib/edge-config';
import { startService } from '../lib/server';
import { SUPERGRAPH_FILE } from '../router/compose';
import { freePort } from './support/harness';

/** A service as `npm start` runs it: its own process, on the embedded database. */
function launch(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entry)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', ...env },
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
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

  test('a subgraph starts, refuses a second process on its data dir, and stops cleanly on SIGTERM', async () => {
    const first = launch('subgraphs/products/index.ts', { DATA_DIR: dataDir, PRODUCTS_PORT: '0' });
    // Port 0: learn the port from the "ready" log line.
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = /"url":"(http:\/\/localhost:\d+)\/graphql"/.exec(first.output())?.[1];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(url).toBeDefined();
    await waitFor(`${url}/ready`);
    const lockFile = path.join(dataDir, 'products', 'pgdata.lock');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(first.child.pid);

    const second = launch('subgraphs/products/index.ts', { DATA_DIR: dataDir, PRODUCTS_PORT: '0' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`is in use by process ${first.child.pid} (products service`);

    first.child.kill('SIGTERM');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGTERM'); // Apollo Server drains, closes the database, then re-raises the signal
    expect(fs.existsSync(lockFile)).toBe(false);
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

describe('the router while the supergraph loads', () => {
  test('GET /health and /graphql answer 503 until the supergraph is loaded, then 200', async () => {
    let load!: () => void;
    const loaded = new Promise<void>((resolve) => (load = resolve));
    const supergraphSdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
    const gateway = new ApolloGateway({ supergraphSdl: async () => (await loaded, { supergraphSdl }) });
    const port = await freePort();
    const starting = startService({ name: 'router', log: createLogger('router'), production: false, edge: loadEdgeConfig({}, false), graph: { gateway }, context: async () => ({}) }, { port });
    await waitFor(`http://localhost:${port}/health`, 503);
    const early = await fetch(`http://localhost:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(early.status).toBe(503);
    expect((await early.json()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
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
      { name: 'probe', log: createLogger('probe'), production: false, edge: loadEdgeConfig({}, false), graph: { schema: buildSchema('type Query { ok: Boolean }') }, context: async () => ({}), checkReady: async () => { throw failure; } },
      { port: 0 },
    );
    try {
      const ready = () => fetch(`http://localhost:${running.port}/ready`).then(async (response) => ({ status: response.status, body: await response.json() }));
      expect(await ready()).toEqual({ status: 503, body: { status: 'not ready', service: 'probe', reason: 'migrations not applied: 20260101000000_init' } });
      failure = new Error('connect ECONNREFUSED 10.1.2.3:5432');
      const hidden = await ready();
      expect(hidden.status).toBe(503);
      expect(JSON.stringify(hidden.body)).not.toContain('10.1.2.3');
    } finally {
      await running.stop();
    }
  });
});
