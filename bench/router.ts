/**
 * `npm run bench -- router [seconds=5] [rounds=3]`: requests per second through a router for an
 * anonymous catalogue query (one products fetch per request), and what each request costs in CPU.
 * "router, tracing on" is the same router exporting every span over OTLP/HTTP (batched, as in
 * production) to a sink in this process that answers each export at once.
 *
 * The subgraphs run in this process (testing/harness.ts); every router variant runs in a process
 * of its own (bench/router-process.ts), so its CPU time, read from /proc before and after each
 * round, is the router's own cost; the load generator, autocannon, is a further child process.
 * Variants are measured in alternating rounds (ABBA) in the same run and compared by medians; the
 * same router started twice ("router again") shows how far apart two equal variants land.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';
import { inputHygienePlugin } from '../lib/graphql/input-hygiene';
import { PROJECT_ROOT } from '../lib/paths';
import { freePort, startSupergraph } from '../testing/harness';
import type { RouterVariant } from './router-process';
import { cpuMsOf, rssMiB } from './proc';
import { median } from './stats';

const QUERY = '{ products(first: 10) { edges { node { id sku name price { amountCents currency } stock } } } }';
const CONNECTIONS = 20;

/** Each variant: its name, the router it runs, and whether that router traces (OTEL_EXPORTER_OTLP_ENDPOINT). */
const VARIANTS: [string, RouterVariant, { tracing?: boolean }?][] = [
  ['router', 'router'],
  ['router, tracing on', 'router', { tracing: true }],
  ['no limits', 'no limits'],
  ['stock gateway', 'stock gateway'],
  // The same router twice: the spread between identical variants is the noise floor of the run.
  ['router again', 'router'],
];

/** An OTLP/HTTP endpoint that takes every export and keeps only a count of them and their bytes. */
async function startOtlpSink(): Promise<{ url: string; received: { exports: number; bytes: number }; close(): void }> {
  const received = { exports: 0, bytes: 0 };
  const server = http.createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.exports++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, close: () => server.close() };
}

interface Round {
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  failed: number;
  /** CPU time of the router process per answered request, in microseconds. */
  routerCpuUs: number;
  /** CPU time of this process (the three subgraphs) per answered request, in microseconds. */
  subgraphsCpuUs: number;
}

interface RunningRouter {
  child: ChildProcess;
  url: string;
}

function autocannon(url: string, seconds: number): Promise<{ rps: number; total: number; p50: number; p99: number; failed: number }> {
  const cli = path.join(PROJECT_ROOT, 'node_modules/autocannon/autocannon.js');
  const args = [cli, '-j', '-c', String(CONNECTIONS), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json'];
  args.push('-b', JSON.stringify({ query: QUERY }), url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const result = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        rps: result.requests.average,
        total: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failed: result.non2xx + result.errors,
      });
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (body.errors) throw new Error(`the benchmark query fails: ${JSON.stringify(body.errors)}`);
    return response.ok;
  } catch (error) {
    if ((error as Error).message.startsWith('the benchmark query')) throw error;
    return false;
  }
}

async function startRouter(variant: RouterVariant, env: Record<string, string>): Promise<RunningRouter> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'router-process.ts'), variant], {
    cwd: PROJECT_ROOT,
    // Production serves metrics on a port of its own (9464 unless told): one each.
    env: {
      ...process.env,
      ...env,
      ROUTER_PORT: String(port),
      METRICS_PORT: String(await freePort()),
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null) throw new Error(`${variant} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${variant} did not answer within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, url };
}

/** Input hygiene's share of a request: the router's check of the benchmark query, timed alone. */
async function hygieneCostUs(): Promise<number> {
  const document = parse(QUERY);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const silent = { info: () => {}, warn: () => {}, error: () => {} };
  const listener = (await inputHygienePlugin(silent).requestDidStart!({} as never))!;
  const context = { document, operation, operationName: null, request: { query: QUERY, variables: {} } } as never;
  const runs = 100_000;
  for (let i = 0; i < 1000; i++) await listener.didResolveOperation!(context);
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await listener.didResolveOperation!(context);
  return Number(process.hrtime.bigint() - started) / 1000 / runs;
}

export async function benchRouter(seconds: number, rounds: number): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const graph = await startSupergraph('pglite');
  const sink = await startOtlpSink();
  const routers = new Map<string, RunningRouter>();
  try {
    for (let i = 0; i < 10; i++) await graph.createProduct(`BENCH-${i}`, 100 + i, 1000);
    // The others must not trace even if this shell sets OTEL_EXPORTER_OTLP_ENDPOINT.
    const untraced = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
    for (const [name, variant, options] of VARIANTS) {
      const tracing = options?.tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : untraced;
      routers.set(name, await startRouter(variant, { ...graph.env, ...tracing }));
    }
    // Warm-up: JIT, query plan caches, connection pools.
    for (const running of routers.values()) await autocannon(running.url, 2);

    const results = new Map<string, Round[]>([...routers.keys()].map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // ABBA order: whichever variant runs first in a round does not always pay for the last one's garbage.
      const order = round % 2 === 0 ? [...routers] : [...routers].reverse();
      for (const [name, running] of order) {
        const routerCpu = cpuMsOf(running.child.pid!);
        const ownCpu = process.cpuUsage();
        const load = await autocannon(running.url, seconds);
        const own = process.cpuUsage(ownCpu);
        const answered = Math.max(1, load.total - load.failed);
        results.get(name)!.push({
          requestsPerSecond: load.rps,
          latencyP50: load.p50,
          latencyP99: load.p99,
          failed: load.failed,
          routerCpuUs: ((cpuMsOf(running.child.pid!) - routerCpu) * 1000) / answered,
          subgraphsCpuUs: (own.user + own.system) / answered,
        });
      }
    }

    console.log(`router throughput: ${QUERY}`);
    console.log(
      `${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s per variant, alternating; each router in its own process; medians:`,
    );
    const baseline = median(results.get('router')!.map((r) => r.requestsPerSecond));
    for (const [name, list] of results) {
      const pick = (key: keyof Round) => median(list.map((r) => r[key]));
      const failed = list.reduce((sum, r) => sum + r.failed, 0);
      console.log(
        `  ${name.padEnd(18)} ${pick('requestsPerSecond').toFixed(0).padStart(6)} req/s  ${(pick('requestsPerSecond') / baseline).toFixed(3)}x  ` +
          `p50 ${pick('latencyP50').toFixed(1)} ms  p99 ${pick('latencyP99').toFixed(1)} ms  ` +
          `router CPU ${pick('routerCpuUs').toFixed(0)} µs/req  subgraphs CPU ${pick('subgraphsCpuUs').toFixed(0)} µs/req  ` +
          `router RSS ${rssMiB(routers.get(name)!.child.pid!).toFixed(0)} MB  failed ${failed}`,
      );
    }
    console.log(`input hygiene at the router, this query alone: ${(await hygieneCostUs()).toFixed(2)} µs per request`);
    console.log(`OTLP sink: ${sink.received.exports} exports, ${(sink.received.bytes / 1024 / 1024).toFixed(1)} MiB of spans received`);
  } finally {
    const exited = [...routers.values()].map(
      ({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
    );
    for (const running of routers.values()) running.child.kill('SIGTERM');
    // The tracing router exports its last spans as it stops.
    await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    sink.close();
    await graph.stop();
  }
}
