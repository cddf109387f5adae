import { createTestDatabases, TARGETS, type Target, type TestDatabases } from '../../testing/databases';
import { ADMIN, Cluster, graphql, sleep, SUBGRAPHS, TIMEOUTS, type SubgraphName } from './cluster';
import { allOrders, balanced, stockLines, stocks, type StockLine } from './ledger';
import { RETRYABLE, seeded, startStorm, type OrderOutcome } from './storm';

/**
 * The chaos suite (`npm run test:chaos`): the supergraph as four real processes, each subgraph in
 * turn killed with SIGKILL in the middle of a placeOrder storm and restarted on the same port and
 * data, then paused with SIGSTOP. It proves what README "When things fail" promises: stock is never
 * oversold or leaked, a confirmed order is never lost, nothing stays PENDING once recovery has run,
 * every client gets an order or a coded error, and a paused subgraph costs only its own fields.
 * On the embedded database, and on PostgreSQL too when TEST_DATABASE_URL is set (as in .ci/run).
 */

const CLIENTS = 20;
const ORDERS_PER_STORM = 200;
const PRODUCTS_PER_STORM = 3;
const UNITS_PER_PRODUCT = 30;
/** The kill lands once this many orders are done: stock is still left, requests are in flight. */
const KILL_AFTER_FINISHED = 8;
/** How long the killed service stays down before it is restarted. */
const DOWN_MS = 1_500;
const STORM_DEADLINE_MS = 150_000;
const RECOVERY_DEADLINE_MS = 60_000;
/** The one timing bound: a paused subgraph's fields fail within its deadline plus this margin. */
const ANSWER_MARGIN_MS = 3_000;

interface StormRow {
  target: Target;
  killed: SubgraphName;
  attempted: number;
  confirmed: number;
  refused: Record<string, number>;
  retried: number;
  /** The codes that made clients retry, with how often. */
  retryCauses: Record<string, number>;
  downMs: number;
  pendingAfterRestart: number;
  recoveryMs: number | null;
  afterStormMs: number | null;
  failed: number;
  stock: string;
}
const stormRows: StormRow[] = [];
const pauseRows: { target: Target; paused: SubgraphName; answerMs: number; data: string; errors: string }[] = [];

async function bounded<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

async function createProduct(routerUrl: string, adminToken: string, sku: string, stock: number): Promise<string> {
  const answer = await graphql(
    routerUrl,
    'mutation C($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { sku, name: sku, priceCents: 250, stock } },
    adminToken,
  );
  if (!answer.data?.createProduct) throw new Error(`createProduct ${sku}: ${JSON.stringify(answer)}`);
  return (answer.data.createProduct as { id: string }).id;
}

afterAll(() => report());

describe.each(TARGETS)('on %s', (target) => {
  let databases: TestDatabases | undefined;
  let cluster: Cluster;
  let adminToken = '';
  const customerTokens: string[] = [];
  const pauseProbe = { productId: '', orderId: '' };

  beforeAll(async () => {
    databases = await createTestDatabases(target);
    const { DATA_DIR: _unused, ...databaseUrls } = databases.env; // the cluster keeps its own data dir
    cluster = new Cluster(databaseUrls);
    await cluster.start();
    const router = cluster.url('router');
    const signIn = await graphql(router, 'mutation S($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }', {
      e: ADMIN.email,
      p: ADMIN.password,
    });
    adminToken = (signIn.data?.signIn as { token: string } | undefined)?.token ?? '';
    if (!adminToken) throw new Error(`admin sign-in failed: ${JSON.stringify(signIn)}`);
    for (let i = 0; i < CLIENTS; i++) {
      const answer = await graphql(router, 'mutation U($input: SignUpInput!) { signUp(input: $input) { token } }', {
        input: { email: `chaos-client-${i}@test.example`, password: 'chaos-password-1', name: `Client ${i}` },
      });
      const token = (answer.data?.signUp as { token: string } | undefined)?.token;
      if (!token) throw new Error(`signUp failed: ${JSON.stringify(answer)}`);
      customerTokens.push(token);
    }
    pauseProbe.productId = await createProduct(cluster.url('router'), adminToken, 'CHAOS-PAUSE', 10);
    const placed = await graphql(
      router,
      'mutation P($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: pauseProbe.productId, quantity: 1 }], idempotencyKey: 'pause-probe' } },
      customerTokens[0],
    );
    pauseProbe.orderId = (placed.data?.placeOrder as { id: string } | undefined)?.id ?? '';
    if (!pauseProbe.orderId) throw new Error(`probe order failed: ${JSON.stringify(placed)}`);
  }, 240_000);

  afterAll(async () => {
    await cluster?.destroy();
    await databases?.drop();
  }, 60_000);

  const PROBE = 'query Probe($p: ID!, $o: ID!) { me { name } product(id: $p) { sku } order(id: $o) { status } }';
  const FIELD_OF: Record<SubgraphName, 'me' | 'product' | 'order'> = { users: 'me', products: 'product', orders: 'order' };

  describe('a paused subgraph (SIGSTOP) costs only its own fields, within its deadline', () => {
    test.each(SUBGRAPHS)(
      '%s paused',
      async (name) => {
        const ask = () =>
          graphql(cluster.url('router'), PROBE, { p: pauseProbe.productId, o: pauseProbe.orderId }, customerTokens[0], 30_000);
        // Every field answers before the pause (the circuit may still be cooling down from an earlier one).
        await waitUntil('a full answer before the pause', 30_000, async () => ((await ask()).errors ? undefined : true));
        cluster.pause(name);
        let answer;
        let answerMs;
        try {
          const started = performance.now();
          answer = await ask();
          answerMs = Math.round(performance.now() - started);
        } finally {
          cluster.resume(name);
        }
        pauseRows.push({
          target,
          paused: name,
          answerMs,
          data: JSON.stringify(answer.data),
          errors: JSON.stringify(answer.errors?.map((error) => error.extensions)),
        });

        const expected = {
          me: { name: 'Client 0' },
          product: { sku: 'CHAOS-PAUSE' },
          order: { status: 'CONFIRMED' },
          [FIELD_OF[name]]: null,
        };
        expect(answer.data).toEqual(expected);
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: name });
        expect(answerMs).toBeLessThan(TIMEOUTS.subgraphTimeoutMs + ANSWER_MARGIN_MS);
        // Resumed, it answers again (after the circuit's cool-down at most).
        await waitUntil(`${name} answering again after SIGCONT`, 30_000, async () => ((await ask()).errors ? undefined : true));
      },
      90_000,
    );
  });

  describe('a subgraph killed (SIGKILL) mid-storm and restarted: no oversell, no lost order, nothing left PENDING', () => {
    test.each(SUBGRAPHS)(
      '%s killed',
      async (name) => {
        const productIds: string[] = [];
        for (let i = 0; i < PRODUCTS_PER_STORM; i++)
          productIds.push(await createProduct(cluster.url('router'), adminToken, `CHAOS-${name.toUpperCase()}-${i}`, UNITS_PER_PRODUCT));
        const initial = new Map(productIds.map((id) => [id, UNITS_PER_PRODUCT]));

        const storm = startStorm({
          routerUrl: cluster.url('router'),
          tokens: customerTokens,
          productIds,
          orders: ORDERS_PER_STORM,
          label: `kill-${name}`,
          random: seeded(SUBGRAPHS.indexOf(name) + 1),
        });
        await waitUntil('the storm under way', 60_000, async () => (storm.finished() >= KILL_AFTER_FINISHED ? true : undefined));
        await cluster.kill(name);
        const killedAt = Date.now();
        await sleep(DOWN_MS);
        await cluster.launch(name);
        const restartedAt = Date.now();
        // Orders begun before the kill and still PENDING: what the crash left for recovery, or a client's retry, to settle.
        const pendingAfterRestart = (await allOrders(cluster.url('orders'), adminToken)).filter(
          (order) => order.status === 'PENDING' && Date.parse(order.createdAt) < killedAt,
        ).length;
        const outcomes = await bounded('the storm', STORM_DEADLINE_MS, storm.done);
        const stormEndedAt = Date.now();

        // Recovery: nothing PENDING, and every product's stock matches its confirmed orders.
        let lines: StockLine[] = [];
        let pending = -1;
        let recoveredAt: number | null = null;
        let failed = 0;
        try {
          await waitUntil('recovery (no PENDING order, stock balanced)', RECOVERY_DEADLINE_MS, async () => {
            const orders = await allOrders(cluster.url('orders'), adminToken);
            lines = stockLines(initial, orders, await stocks(cluster.url('products'), adminToken, productIds));
            pending = orders.filter((order) => order.status === 'PENDING').length;
            failed = orders.filter((order) => order.status === 'FAILED').length;
            return pending === 0 && balanced(lines) ? true : undefined;
          });
          recoveredAt = Date.now();
        } finally {
          stormRows.push({
            target,
            ...rowOf(name, outcomes, lines),
            downMs: restartedAt - killedAt,
            pendingAfterRestart,
            recoveryMs: recoveredAt && recoveredAt - restartedAt,
            afterStormMs: recoveredAt && recoveredAt - stormEndedAt,
            failed,
          });
        }

        const orders = await allOrders(cluster.url('orders'), adminToken);
        const finalStatus = new Map(orders.map((order) => [order.id, order.status]));
        // Every client got an order or a coded error: no transport error, no uncoded or internal error.
        expect(outcomes).toHaveLength(ORDERS_PER_STORM);
        expect(outcomes.filter((outcome) => ['TRANSPORT', 'NO_CODE', 'INTERNAL_SERVER_ERROR'].includes(outcome.outcome))).toEqual([]);
        // No confirmed order lost.
        const seenConfirmed = outcomes.filter((outcome) => outcome.outcome === 'CONFIRMED');
        expect(seenConfirmed.filter((outcome) => finalStatus.get(outcome.orderId!) !== 'CONFIRMED')).toEqual([]);
        // No order twice: each key got its own order, and an order confirmed that no client saw
        // confirmed can only belong to a client that gave up while a service was unavailable.
        expect(new Set(seenConfirmed.map((outcome) => outcome.orderId)).size).toBe(seenConfirmed.length);
        const seenIds = new Set(seenConfirmed.map((outcome) => outcome.orderId));
        const unseen = orders.filter(
          (order) => order.status === 'CONFIRMED' && order.items.some((item) => initial.has(item.product.id)) && !seenIds.has(order.id),
        );
        expect(unseen.length).toBeLessThanOrEqual(outcomes.filter((outcome) => RETRYABLE.has(outcome.outcome)).length);
        // The kill hit the storm: clients met the outage and retried (placeOrder never calls users, so not there).
        if (name !== 'users') expect(outcomes.some((outcome) => outcome.attempts > 1)).toBe(true);
        // No oversell, and stock = initial − Σ confirmed quantities, product by product.
        expect(lines.filter((line) => line.stock < 0 || line.stock !== line.initial - line.confirmedUnits)).toEqual([]);
        expect(pending).toBe(0);
      },
      240_000,
    );
  });
});

function countBy(codes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

function rowOf(
  killed: SubgraphName,
  outcomes: OrderOutcome[],
  lines: StockLine[],
): Pick<StormRow, 'killed' | 'attempted' | 'confirmed' | 'refused' | 'retried' | 'retryCauses' | 'stock'> {
  return {
    killed,
    attempted: outcomes.length,
    confirmed: outcomes.filter((outcome) => outcome.outcome === 'CONFIRMED').length,
    refused: countBy(outcomes.map((outcome) => outcome.outcome).filter((outcome) => outcome !== 'CONFIRMED')),
    retried: outcomes.filter((outcome) => outcome.attempts > 1).length,
    retryCauses: countBy(outcomes.flatMap((outcome) => outcome.codes.slice(0, -1))),
    stock: `${balanced(lines) ? 'OK' : 'MISMATCH'} ${lines.map((line) => `${line.initial}-${line.confirmedUnits}=${line.stock}`).join(' ')}`,
  };
}

const counts = (byCode: Record<string, number>) =>
  Object.entries(byCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ') || '-';
const seconds = (ms: number | null) => (ms === null ? 'NOT RECOVERED' : `${(ms / 1000).toFixed(1)} s`);

/** The figures, as a table on stdout (jest's console would bury them in stack frames). */
function report(): void {
  const table = (header: string[], rows: string[][]) => {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
    return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
  };
  const out = [
    '',
    `Chaos suite: ${CLIENTS} clients, ${ORDERS_PER_STORM} orders per storm, ${PRODUCTS_PER_STORM} products × ${UNITS_PER_PRODUCT} units, SUBGRAPH_TIMEOUT_MS=${TIMEOUTS.subgraphTimeoutMs}, ORDERS_PENDING_TIMEOUT_MS=${TIMEOUTS.pendingTimeoutMs}`,
  ];
  out.push(
    '',
    table(
      [
        'database',
        'killed (SIGKILL)',
        'attempted',
        'confirmed',
        'refused (by code)',
        'orders retried (retry causes)',
        'killed → ready again',
        'PENDING from before the kill, at restart',
        'restart → no PENDING',
        'storm end → no PENDING',
        'FAILED left',
        'stock (initial-confirmed=stock)',
      ],
      stormRows.map((row) => [
        row.target,
        row.killed,
        String(row.attempted),
        String(row.confirmed),
        counts(row.refused),
        `${row.retried} (${counts(row.retryCauses)})`,
        `${(row.downMs / 1000).toFixed(1)} s`,
        String(row.pendingAfterRestart),
        seconds(row.recoveryMs),
        seconds(row.afterStormMs),
        String(row.failed),
        row.stock,
      ]),
    ),
    '',
    table(
      ['database', 'paused (SIGSTOP)', 'answered in', 'data', 'errors'],
      pauseRows.map((row) => [row.target, row.paused, `${row.answerMs} ms`, row.data, row.errors]),
    ),
    '',
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
