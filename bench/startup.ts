/**
 * `npm run bench -- startup [runs]`: time from launching `npm start`'s supervisor to the first
 * answer through the router, cold (empty data dir: clusters created, migrated, seeded) and warm
 * (same data dir again), then the RSS of each of the four processes after 5 s idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/paths';
import { rssMiB } from './proc';
import { median } from './stats';

const PORTS = { ROUTER_PORT: 14000, USERS_PORT: 14001, PRODUCTS_PORT: 14002, ORDERS_PORT: 14003 };
const ROUTER = `http://localhost:${PORTS.ROUTER_PORT}/graphql`;

async function post(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const response = await fetch(ROUTER, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** The four service processes under the supervisor, by name. */
function serviceProcesses(rootPid: number): Map<string, number> {
  const found = new Map<string, number>();
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const cmdline = fs.readFileSync(`/proc/${child}/cmdline`, 'utf8');
      const name = /subgraphs\/(\w+)\/index\.ts|(router)\/index\.ts/.exec(cmdline);
      if (name) found.set(name[1] ?? name[2]!, child);
      walk(child);
    }
  };
  walk(rootPid);
  return found;
}

async function run(dataDir: string): Promise<{ firstAnswerMs: number; joinedMs: number; rss: Record<string, number> }> {
  const started = Date.now();
  const supervisor: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/start.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(PORTS).map(([k, v]) => [k, String(v)])),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  try {
    let firstAnswerMs = 0;
    while (!firstAnswerMs) {
      try {
        const answer = await post('{ products(first: 1) { edges { node { id } } } }');
        if (answer.data?.products) firstAnswerMs = Date.now() - started;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (Date.now() - started > 120_000) throw new Error('no answer within 120 s');
    }
    // The first query that joins all three subgraphs: sign in, order, read it back with buyer and products.
    let token: string | undefined;
    while (!token)
      token = (await post('mutation { signIn(email: "demo@example.com", password: "demo-password") { token } }')).data?.signIn.token;
    const products = await post('{ products(first: 1) { edges { node { id } } } }');
    const productId = products.data.products.edges[0].node.id;
    await post('mutation ($p: ID!) { placeOrder(input: { items: [{ productId: $p, quantity: 1 }] }) { id } }', { p: productId }, token);
    const joined = await post('{ orders(first: 1) { edges { node { buyer { name } items { product { name } } } } } }', {}, token);
    if (!joined.data?.orders.edges[0].node.buyer.name) throw new Error(`joined query failed: ${JSON.stringify(joined)}`);
    const joinedMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const rss = Object.fromEntries([...serviceProcesses(supervisor.pid!)].map(([name, pid]) => [name, Math.round(rssMiB(pid))]));
    return { firstAnswerMs, joinedMs, rss };
  } finally {
    supervisor.kill('SIGINT');
    await new Promise((resolve) => supervisor.once('exit', resolve));
  }
}

export async function benchStartup(runs: number): Promise<void> {
  const cold: Awaited<ReturnType<typeof run>>[] = [];
  const warm: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
    try {
      cold.push(await run(dataDir));
      warm.push(await run(dataDir));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const line = (label: string, results: typeof cold) => {
    const names = Object.keys(results[0]!.rss);
    const rss = names.map((name) => `${name} ${median(results.map((r) => r.rss[name] ?? 0))}`).join(', ');
    return `${label}: first answer ${(median(results.map((r) => r.firstAnswerMs)) / 1000).toFixed(1)} s, first joined answer ${(median(results.map((r) => r.joinedMs)) / 1000).toFixed(1)} s; idle RSS MiB: ${rss}`;
  };
  console.log(`startup, median of ${runs} run(s) each (${os.cpus().length} cores):`);
  console.log(line('cold (empty data dir)', cold));
  console.log(line('warm (same data dir) ', warm));
}
