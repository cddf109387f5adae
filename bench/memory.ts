/**
 * `npm run bench -- memory [runs=1]`: idle RSS of each of the four services as production runs them
 * (compiled, `node dist/...`, built first by `npm run build`) beside the same services
 * under tsx from source (`node --import tsx ...`, as `npm start` runs them), alternating. Each run
 * starts the four processes on fresh databases (embedded; PostgreSQL ones on the server
 * TEST_DATABASE_URL names, when it is set), waits for one query through the router, lets them idle
 * 5 s and reads their RSS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/paths';
import { portVariable, SERVICES, type ServiceName } from '../lib/services';
import { createTestDatabases } from '../testing/databases';
import { IMAGE_ENV, rssMiB } from './proc';
import { median } from './stats';

const MODES = ['compiled', 'tsx'] as const;
type Mode = (typeof MODES)[number];
type Service = ServiceName | 'router';

const PORTS: Record<Service, number> = { router: 14200, users: 14201, products: 14202, orders: 14203 };

function command(mode: Mode, service: Service): string[] {
  const entry = service === 'router' ? 'router/index' : `subgraphs/${service}/index`;
  return mode === 'compiled' ? [path.join('dist', `${entry}.js`)] : ['--import', 'tsx', `${entry}.ts`];
}

async function answers(): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${PORTS.router}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // users (me is null without a token, but the field resolves there), products and orders.
      body: JSON.stringify({ query: '{ me { id } products(first: 1) { edges { node { id } } } }' }),
    });
    const body = (await response.json()) as { data?: { products?: unknown } };
    return Boolean(body.data?.products);
  } catch {
    return false;
  }
}

async function run(mode: Mode): Promise<Record<Service, number>> {
  const databases = await createTestDatabases(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  const env: NodeJS.ProcessEnv = {
    ...IMAGE_ENV,
    ...process.env,
    ...databases.env,
    LOG_LEVEL: 'silent',
    ROUTER_PORT: String(PORTS.router),
    ...Object.fromEntries(SERVICES.map((name) => [portVariable(name), String(PORTS[name])])),
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${PORTS[name]}/graphql`])),
  };
  const children = new Map<Service, ChildProcess>();
  try {
    for (const service of [...SERVICES, 'router'] as Service[]) {
      children.set(service, spawn(process.execPath, command(mode, service), { cwd: PROJECT_ROOT, env, stdio: 'ignore' }));
    }
    const deadline = Date.now() + 120_000;
    while (!(await answers())) {
      const exited = [...children].find(([, child]) => child.exitCode !== null);
      if (exited) throw new Error(`${mode} ${exited[0]} exited with ${exited[1].exitCode}`);
      if (Date.now() > deadline) throw new Error(`${mode}: no answer through the router within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
    return Object.fromEntries([...children].map(([service, child]) => [service, rssMiB(child.pid!)])) as Record<Service, number>;
  } finally {
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : (child.once('exit', resolve), child.kill('SIGTERM')))),
      ),
    );
    await databases.drop();
  }
}

export async function benchMemory(runs: number): Promise<void> {
  // Always from this checkout's sources: a dist/ left from an older build would measure other code.
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const results: Record<Mode, Record<Service, number>[]> = { compiled: [], tsx: [] };
  for (let i = 0; i < runs; i++) {
    // Alternating, and which goes first alternates too.
    for (const mode of i % 2 === 0 ? MODES : [...MODES].reverse()) results[mode].push(await run(mode));
  }
  const on = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite';
  console.log(
    `idle RSS on ${on} after one query through the router, median of ${runs} run(s), MiB (${os.cpus().length} cores, Node ${process.version}):`,
  );
  for (const service of ['router', ...SERVICES] as Service[]) {
    const compiled = median(results.compiled.map((r) => r[service]));
    const tsx = median(results.tsx.map((r) => r[service]));
    console.log(
      `  ${service.padEnd(9)} compiled ${compiled.toFixed(0).padStart(4)}   tsx ${tsx.toFixed(0).padStart(4)}   ${(compiled / tsx).toFixed(2)}x`,
    );
  }
}
