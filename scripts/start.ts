/**
 * `npm start`: the whole supergraph on this machine, as four processes (three subgraphs and the
 * router), on the embedded databases unless *_DATABASE_URL is set. Seeds demo data into empty
 * databases, waits until everything answers, prints every URL. Ctrl-C stops all four cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { DEFAULT_PORTS, readPort } from '../lib/config';
import { PROJECT_ROOT } from '../lib/paths';
import { loadShutdownGraceMs } from '../lib/shutdown';
import { DEMO_ACCOUNTS } from '../subgraphs/users/seed';

const PROCESSES = [
  { name: 'users', entry: 'subgraphs/users/index.ts', port: readPort(process.env, 'USERS_PORT', DEFAULT_PORTS.users) },
  { name: 'products', entry: 'subgraphs/products/index.ts', port: readPort(process.env, 'PRODUCTS_PORT', DEFAULT_PORTS.products) },
  { name: 'orders', entry: 'subgraphs/orders/index.ts', port: readPort(process.env, 'ORDERS_PORT', DEFAULT_PORTS.orders) },
  { name: 'router', entry: 'router/index.ts', port: readPort(process.env, 'ROUTER_PORT', DEFAULT_PORTS.router) },
] as const;
const READY_TIMEOUT_MS = 120_000;

const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development', SEED_DEMO_DATA: process.env.SEED_DEMO_DATA ?? 'true' };
const children = new Map<string, ChildProcess>();
let stopping = false;

function launch(name: string, entry: string): ChildProcess {
  // The subgraphs sit behind the router on loopback and take the client address it forwards.
  const own = name === 'router' ? env : { TRUST_PROXY: 'loopback', ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entry)], {
    cwd: PROJECT_ROOT,
    env: own,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${`[${name}]`.padEnd(11)}${pretty(line)}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`\n${name} exited (${signal ?? `code ${code}`}); stopping the rest.\n`);
      void stopAll(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
  return child;
}

/** The JSON log lines, shown as `level message {fields}` for people. */
function pretty(line: string): string {
  try {
    const { time: _time, service: _service, level, message, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return `${level === 'info' ? '' : `${String(level).toUpperCase()} `}${String(message)}${rest}`;
  } catch {
    return line;
  }
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  if (children.size === 0) process.exit(code);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code);
    // Past the children's own drain bound, so none is killed while it closes its database.
  }, loadShutdownGraceMs() + 5_000).unref();
}

async function waitUntilReady(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready within ${READY_TIMEOUT_MS / 1000}s`);
}

async function main(): Promise<void> {
  const started = Date.now();
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const { name, entry } of PROCESSES) children.set(name, launch(name, entry));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(PROCESSES.map(({ port }) => waitUntilReady(`http://localhost:${port}/ready`, deadline)));
  const url = (port: number) => `http://localhost:${port}/graphql`;
  const [users, products, orders, router] = PROCESSES.map(({ port }) => url(port));
  process.stdout.write(
    [
      '',
      `Supergraph ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  router    ${router}   (Apollo Sandbox: open it in a browser)`,
      `  users     ${users}`,
      `  products  ${products}`,
      `  orders    ${orders}`,
      env.SEED_DEMO_DATA === 'true'
        ? `  demo sign-in (seeded into an empty database): ${DEMO_ACCOUNTS.customer.email} / ${DEMO_ACCOUNTS.customer.password}` +
          (process.env.ADMIN_EMAIL
            ? `; admin ${process.env.ADMIN_EMAIL}`
            : `; admin ${DEMO_ACCOUNTS.admin.email} / ${DEMO_ACCOUNTS.admin.password}`)
        : '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
  void stopAll(1);
});
