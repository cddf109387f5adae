/**
 * `npm run bench -- router [seconds=5] [rounds=3]`: requests per second through the router for an
 * anonymous catalogue query (one products fetch per request), from autocannon in a child process
 * so the load generator does not share the servers' event loop. Each router variant is measured in
 * alternating rounds (ABBA) in the same run, and the medians are compared side by side; an
 * identical second router shows how far apart two equal variants land in the same run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startService, type RunningService } from '../lib/server';
import { PROJECT_ROOT } from '../lib/paths';
import { loadRouterConfig, type RouterConfig } from '../router/config';
import { buildRouter } from '../router/server';
import { startSupergraph } from '../testing/harness';
import { median } from './stats';

const QUERY = '{ products(first: 10) { edges { node { id sku name price { amountCents currency } stock } } } }';
const CONNECTIONS = 20;

/** The router as configured, and variants of it to compare against. */
const VARIANTS: Record<string, (config: RouterConfig) => RouterConfig> = {
  router: (config) => config,
  'no limits': (config) => ({ ...config, edge: { ...config.edge, limits: null } }),
  // The same router twice: the spread between identical variants is the noise floor of the run.
  'router again': (config) => config,
};

interface Round {
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  non2xx: number;
  errors: number;
}

function autocannon(url: string, seconds: number): Promise<Round> {
  const cli = path.join(PROJECT_ROOT, 'node_modules/autocannon/autocannon.js');
  const args = [
    cli,
    '-j',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    JSON.stringify({ query: QUERY }),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const result = JSON.parse(out) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        requestsPerSecond: result.requests.average,
        latencyP50: result.latency.p50,
        latencyP99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    });
  });
}

export async function benchRouter(seconds: number, rounds: number): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const graph = await startSupergraph('pglite');
  const routers: Record<string, RunningService> = {};
  try {
    for (let i = 0; i < 10; i++) await graph.createProduct(`BENCH-${i}`, 100 + i, 1000);
    for (const [name, variant] of Object.entries(VARIANTS)) {
      routers[name] = await startService(buildRouter(variant(loadRouterConfig({ ...graph.env, ROUTER_PORT: '0' }))), { port: 0 });
    }
    const check = (await (
      await fetch(routers.router!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY }),
      })
    ).json()) as { errors?: unknown };
    if (check.errors) throw new Error(`the benchmark query fails: ${JSON.stringify(check.errors)}`);

    const results: Record<string, Round[]> = Object.fromEntries(Object.keys(routers).map((name) => [name, []]));
    await autocannon(routers.router!.url, 2); // warm-up: JIT, query plan cache, connection pools
    for (let round = 0; round < rounds; round++) {
      // ABBA order: whichever variant runs first in a round does not always pay for the last one's garbage.
      const order = round % 2 === 0 ? Object.entries(routers) : Object.entries(routers).reverse();
      for (const [name, running] of order) results[name]!.push(await autocannon(running.url, seconds));
    }
    console.log(
      `router throughput: ${QUERY}\n${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s per variant, alternating; medians:`,
    );
    const baseline = median(results.router!.map((r) => r.requestsPerSecond));
    for (const [name, list] of Object.entries(results)) {
      const rps = median(list.map((r) => r.requestsPerSecond));
      const failures = list.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
      console.log(
        `  ${name.padEnd(12)} ${rps.toFixed(0).padStart(6)} req/s  p50 ${median(list.map((r) => r.latencyP50)).toFixed(1)} ms  p99 ${median(list.map((r) => r.latencyP99)).toFixed(1)} ms  ` +
          `${(rps / baseline).toFixed(3)}x of router  failed responses ${failures}`,
      );
    }
  } finally {
    for (const running of Object.values(routers)) await running.stop();
    await graph.stop();
  }
}
