/**
 * `npm start`: the whole supergraph on this machine, one process per subgraph in the registry
 * (lib/services.ts) and the router, on the embedded databases unless *_DATABASE_URL is set. Seeds
 * demo data into empty databases, waits until everything answers, prints every URL. Ctrl-C stops
 * them all cleanly. `npm start -- users products` starts only the services named.
 *
 * `npm run dev` (`--watch`): the same, plus the development loop. Each service runs under
 * `tsx watch`, so an edit to code a service imports restarts that service alone (an edit to lib/
 * restarts them all), and an edit to a subgraph's schema.graphql restarts that subgraph. Every
 * edit to a schema.graphql also recomposes router/supergraph.graphql, which the router, watching
 * it (SUPERGRAPH_WATCH), takes without a restart; a composition error is printed and the file,
 * and so the router, keep the last good supergraph.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ConfigError, readPort } from '../lib/config';
import { PROJECT_ROOT } from '../lib/paths';
import { portVariable, ROUTER, SUBGRAPHS, subgraphFiles, subgraphPath, type SubgraphEntry } from '../lib/services';
import { composeSupergraph, SUPERGRAPH_FILE } from '../router/compose';
import { loadShutdownGraceMs } from '../lib/shutdown';
import { watchFiles } from '../lib/watch-files';

export interface Launch {
  name: string;
  /** Entry file, relative to the project root. */
  entry: string;
  port: number;
}

/** What `npm start [names...]` runs: every subgraph, then the router; or only the names given. */
export function launchPlan(
  only: readonly string[] = [],
  env: Record<string, string | undefined> = process.env,
  registry: readonly SubgraphEntry[] = SUBGRAPHS,
): Launch[] {
  const all = [
    ...registry.map(({ name, defaultPort }) => ({ name, entry: subgraphFiles(name).entry, defaultPort })),
    { name: ROUTER.name, entry: ROUTER.entry, defaultPort: ROUTER.defaultPort },
  ];
  const unknown = only.filter((name) => !all.some((process) => process.name === name));
  if (unknown.length > 0)
    throw new ConfigError(`Unknown service ${unknown.join(', ')}: choose from ${all.map(({ name }) => name).join(', ')}`);
  return all
    .filter(({ name }) => only.length === 0 || only.includes(name))
    .map(({ name, entry, defaultPort }) => ({ name, entry, port: readPort(env, portVariable(name), defaultPort) }));
}

/** The accounts the users service seeds into an empty database for development (its demo-accounts.json). */
const DEMO_ACCOUNTS_FILE = path.join(PROJECT_ROOT, 'subgraphs', 'users', 'demo-accounts.json');
const READY_TIMEOUT_MS = 120_000;

const watch = process.argv.includes('--watch');
const env = {
  ...process.env,
  NODE_ENV: process.env.NODE_ENV ?? 'development',
  SEED_DEMO_DATA: process.env.SEED_DEMO_DATA ?? 'true',
  ...(watch && { SUPERGRAPH_WATCH: 'true' }),
};
const children = new Map<string, ChildProcess>();
let stopping = false;

/** How a service is run: under `tsx watch` in the development loop (its SDL watched too), else once. */
function command(name: string, entry: string): string[] {
  if (!watch) return ['--import', 'tsx', path.join(PROJECT_ROOT, entry)];
  const sdl = SUBGRAPHS.some((subgraph) => subgraph.name === name) ? ['--include', subgraphPath(name, 'schema')] : [];
  return [
    path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    'watch',
    '--clear-screen=false',
    ...sdl,
    path.join(PROJECT_ROOT, entry),
  ];
}

function launch(name: string, entry: string): ChildProcess {
  // The subgraphs sit behind the router on loopback and take the client address it forwards.
  const own = name === ROUTER.name ? env : { TRUST_PROXY: 'loopback', ...env };
  const child = spawn(process.execPath, command(name, entry), {
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

function demoSignIn(): string {
  const accounts = JSON.parse(fs.readFileSync(DEMO_ACCOUNTS_FILE, 'utf8')) as Record<
    'customer' | 'admin',
    { email: string; password: string }
  >;
  const admin = process.env.ADMIN_EMAIL ? process.env.ADMIN_EMAIL : `${accounts.admin.email} / ${accounts.admin.password}`;
  return `  demo sign-in (seeded into an empty database): ${accounts.customer.email} / ${accounts.customer.password}; admin ${admin}`;
}

/**
 * Recomposes router/supergraph.graphql whenever a subgraph's schema.graphql changes; a composition
 * error is printed and leaves the file as it was.
 */
function recomposeOnSdlChange(): void {
  const recompose = () => {
    const result = composeSupergraph();
    if ('errors' in result) {
      process.stdout.write(
        `${'[compose]'.padEnd(11)}ERROR composition failed; the router keeps the last good supergraph:\n${result.errors.map((message) => `  - ${message}`).join('\n')}\n`,
      );
      return;
    }
    if (fs.readFileSync(SUPERGRAPH_FILE, 'utf8') === result.supergraphSdl) return;
    // Written whole under another name, then renamed: the router never reads half a file.
    fs.writeFileSync(`${SUPERGRAPH_FILE}.tmp`, result.supergraphSdl);
    fs.renameSync(`${SUPERGRAPH_FILE}.tmp`, SUPERGRAPH_FILE);
    process.stdout.write(`${'[compose]'.padEnd(11)}recomposed ${path.relative(PROJECT_ROOT, SUPERGRAPH_FILE)}\n`);
  };
  watchFiles(
    SUBGRAPHS.map(({ name }) => subgraphPath(name, 'schema')),
    recompose,
    200,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const plan = launchPlan(process.argv.slice(2).filter((arg) => arg !== '--watch'));
  if (watch) recomposeOnSdlChange();
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const { name, entry } of plan) children.set(name, launch(name, entry));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(plan.map(({ port }) => waitUntilReady(`http://localhost:${port}/ready`, deadline)));
  const width = Math.max(...plan.map(({ name }) => name.length)) + 2;
  process.stdout.write(
    [
      '',
      `${plan.length === 1 ? plan[0]!.name : 'Supergraph'} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      ...plan.map(({ name, port }) => {
        const hint = name === ROUTER.name ? '   (Apollo Sandbox: open it in a browser)' : '';
        return `  ${name.padEnd(width)}http://localhost:${port}/graphql${hint}`;
      }),
      env.SEED_DEMO_DATA === 'true' && plan.some(({ name }) => name === 'users') ? demoSignIn() : '',
      watch ? 'Watching: code edits restart their service, schema.graphql edits recompose the supergraph.' : '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
    void stopAll(1);
  });
}
