import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';
import { freePort } from '../../testing/free-port';
import { portVariable, ROUTER, SERVICES, subgraphFiles, type ServiceName as SubgraphName } from '../../lib/services';

export type { SubgraphName };
export type ServiceName = SubgraphName | typeof ROUTER.name;
/** Every subgraph in the registry (lib/services.ts): the cluster runs them all, each as `npm start` would. */
export const SUBGRAPHS: readonly SubgraphName[] = SERVICES;

const entryOf = (name: ServiceName): string => (name === ROUTER.name ? ROUTER.entry : subgraphFiles(name).entry);

export const ADMIN = { email: 'chaos-admin@test.example', password: 'chaos-admin-password-1' };

/** Short deadlines, so an outage costs seconds and the suite stays within minutes. */
export const TIMEOUTS = {
  /** The router's deadline per subgraph call: the bound a paused subgraph's answer is held to. */
  subgraphTimeoutMs: 3_000,
  productsCallTimeoutMs: 1_000,
  productsRequestBudgetMs: 2_500,
  stockTransactionDeadlineMs: 800,
  recoveryIntervalMs: 500,
  pendingTimeoutMs: 4_000,
  breakerCooldownMs: 1_000,
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The supergraph as `npm start` runs it, in production's shape: four processes (three subgraphs and
 * the router) on free ports, one temporary DATA_DIR (the embedded databases, unless database URLs are
 * given, and the services' signing keys).
 * A service can be killed (SIGKILL), restarted on the same port and data dir, paused and resumed.
 */
export class Cluster {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-chaos-'));
  readonly ports = {} as Record<ServiceName, number>;
  private readonly running = new Map<ServiceName, Running>();
  /** Every child ever started, so `destroy` leaves none behind. */
  private readonly children = new Set<ChildProcess>();
  /** The last output of each service (bounded), shown when it fails to start. */
  private readonly output = new Map<ServiceName, string>();

  /** `extraEnv`: e.g. each service's *_DATABASE_URL, to run on PostgreSQL instead of the embedded database. */
  constructor(private readonly extraEnv: Record<string, string> = {}) {
    // Should jest exit without running afterAll (Ctrl-C, a forced exit), still leave no service behind.
    process.once('exit', () =>
      this.children.forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')),
    );
  }

  async start(): Promise<void> {
    for (const name of [...SUBGRAPHS, 'router'] as ServiceName[]) this.ports[name] = await freePort();
    await Promise.all(SUBGRAPHS.map((name) => this.launch(name)));
    await this.launch('router');
  }

  url(name: ServiceName): string {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  private env(): Record<string, string> {
    return {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(this.ports).map(([name, port]) => [portVariable(name), String(port)])),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      AUTH_RATE_LIMIT_IP_ATTEMPTS: '1000000',
      PASSWORD_SCRYPT_COST: '10',
      SUBGRAPH_TIMEOUT_MS: String(TIMEOUTS.subgraphTimeoutMs),
      SUBGRAPH_BREAKER_COOLDOWN_MS: String(TIMEOUTS.breakerCooldownMs),
      PRODUCTS_CALL_TIMEOUT_MS: String(TIMEOUTS.productsCallTimeoutMs),
      PRODUCTS_REQUEST_BUDGET_MS: String(TIMEOUTS.productsRequestBudgetMs),
      STOCK_TRANSACTION_DEADLINE_MS: String(TIMEOUTS.stockTransactionDeadlineMs),
      ORDERS_RECOVERY_INTERVAL_MS: String(TIMEOUTS.recoveryIntervalMs),
      ORDERS_PENDING_TIMEOUT_MS: String(TIMEOUTS.pendingTimeoutMs),
      SHUTDOWN_GRACE_MS: '1000',
      ...this.extraEnv,
      DATA_DIR: this.dataDir,
    };
  }

  /** Starts a service on its port and data dir; resolves once `/ready` answers 200. */
  async launch(name: ServiceName, timeoutMs = 90_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entryOf(name))], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...this.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    const keep = (chunk: Buffer) => this.output.set(name, ((this.output.get(name) ?? '') + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.running.set(name, { child, exited });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        if ((await fetch(`${this.url(name)}/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${name} did not become ready:\n${this.output.get(name) ?? ''}`);
  }

  /** `kill -9`: no drain, no lock release, whatever was in flight is cut. */
  async kill(name: ServiceName): Promise<void> {
    const running = this.running.get(name);
    if (!running) return;
    running.child.kill('SIGKILL');
    await running.exited;
    this.running.delete(name);
  }

  pause(name: ServiceName): void {
    this.running.get(name)?.child.kill('SIGSTOP');
  }

  resume(name: ServiceName): void {
    this.running.get(name)?.child.kill('SIGCONT');
  }

  logs(name: ServiceName): string {
    return this.output.get(name) ?? '';
  }

  /** Kills every process this cluster ever started (resuming paused ones first) and removes the data dir. */
  async destroy(): Promise<void> {
    const alive = [...this.children].filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(
      alive.map((child) => {
        let timer: NodeJS.Timeout | undefined;
        const exited = new Promise((resolve) => {
          child.once('exit', resolve);
          timer = setTimeout(resolve, 5_000);
        }).finally(() => clearTimeout(timer));
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        return exited;
      }),
    );
    this.running.clear();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface GraphQLAnswer {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** One GraphQL POST; a transport failure (no connection, no answer in `timeoutMs`) throws. */
export async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  timeoutMs = 30_000,
): Promise<GraphQLAnswer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as Omit<GraphQLAnswer, 'status'>;
  return { status: response.status, ...body };
}
