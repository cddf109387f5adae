/**
 * `npm run bench -- catalogue [rows=1000000] [runs=20]`: the catalogue's queries on 1,000 products
 * beside `rows` products, side by side in one run. Each size gets a fresh products database
 * (embedded, or PostgreSQL on the server BENCH_DATABASE_URL names), seeded by one INSERT … SELECT.
 * Times, as medians over `runs`, the products service's own store calls (the SQL Prisma sends for
 * `products(first: 20)`), so the figures are the database's share of a catalogue request:
 *   first   the first page;
 *   deep    a page 100 rows from the end (keyset `after` the 100th-last product);
 *   search  a word one product in ten has, and a number one product has (`products(search:)`).
 * Then prints PostgreSQL's plan (EXPLAIN) for the deep page and the rare search at the larger size.
 */
import type { SqlDriverAdapterFactory, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';
import { openDatabase, type Database } from '../lib/db/database';
import { databaseUrlFor } from '../lib/db/url';
import { productKeyset, ProductsStore } from '../subgraphs/products/data';
import { createTestDatabases } from '../testing/databases';
import { median } from './stats';

const PAGE = 21; // a page of 20 and one more, as the resolver asks
const WARM_RUNS = 2;
/** A case stops sampling after this long (once it has 3 samples): a slow search would otherwise take minutes. */
const CASE_BUDGET_MS = 20_000;
const COLOURS = ['Red', 'Blue', 'Green', 'Black', 'White', 'Walnut', 'Grey', 'Amber', 'Teal', 'Ivory'];
const THINGS = ['Chair', 'Table', 'Lamp', 'Desk', 'Shelf', 'Sofa', 'Stool', 'Bench', 'Cabinet', 'Rug'];

/**
 * `rows` products in one statement: names like "Walnut Lamp 0004217" (so 1 in 10 has each word,
 * and the numbers make each unique), SKUs "CAT-0004217". Then ANALYZE, as autovacuum would.
 */
const seedSql = (rows: number) => `
  INSERT INTO products (id, sku, name, price_cents, currency, stock, updated_at)
  SELECT gen_random_uuid()::text,
         'CAT-' || lpad(i::text, 7, '0'),
         (ARRAY[${COLOURS.map((c) => `'${c}'`).join(',')}])[1 + i % 10] || ' ' ||
         (ARRAY[${THINGS.map((t) => `'${t}'`).join(',')}])[1 + (i / 10) % 10] || ' ' || lpad(i::text, 7, '0'),
         100 + i % 10000, 'USD', 1000, now()
  FROM generate_series(1, ${rows}) AS i`;

/** Remembers the last statement Prisma sent, so the benchmark can ask PostgreSQL how it runs it. */
function recordingLast(inner: SqlDriverAdapterFactory, last: { query?: SqlQuery }): SqlDriverAdapterFactory {
  const record = <T extends SqlQueryable>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        if (property !== 'queryRaw') return value.bind(object);
        return (query: SqlQuery) => {
          last.query = query;
          return value.call(object, query);
        };
      },
    });
  return { provider: inner.provider, adapterName: inner.adapterName, connect: async () => record(await inner.connect()) };
}

interface Opened {
  rows: number;
  seedSeconds: number;
  /** The four queries, by name; the rare number differs between sizes, so its name does too. */
  cases: [string, () => Promise<unknown[]>][];
  /** PostgreSQL's plan for the statement Prisma sent last. */
  explainLast(): Promise<string>;
  close(): Promise<void>;
}

/** A fresh products database holding `rows` products, and the queries to time on it. */
async function open(target: 'pglite' | 'postgres', rows: number): Promise<Opened> {
  const databases = await createTestDatabases(target, ['products']);
  let database: Database | undefined;
  try {
    database = await openDatabase('products', databaseUrlFor('products', databases.env), { env: { ...process.env, ...databases.env } });
    const opened = database;
    const last: { query?: SqlQuery } = {};
    const store = new ProductsStore({ ...database, adapter: recordingLast(database.adapter, last) });
    const seeded = process.hrtime.bigint();
    await store.prisma.$executeRawUnsafe(seedSql(rows));
    await store.prisma.$executeRawUnsafe('ANALYZE products');
    const seedSeconds = Number(process.hrtime.bigint() - seeded) / 1e9;
    const [near] = await store.prisma.$queryRawUnsafe<{ name: string; id: string }[]>(
      `SELECT name, id FROM products ORDER BY name, id OFFSET ${rows - 100} LIMIT 1`,
    );
    const deepAfter = productKeyset({ name: near!.name, id: near!.id } as Parameters<typeof productKeyset>[0]);
    const rare = String(Math.floor(rows / 2)).padStart(7, '0');
    return {
      rows,
      seedSeconds,
      cases: [
        ['first', () => store.page(PAGE, null, null)],
        ['deep', () => store.page(PAGE, deepAfter, null)],
        ['search "walnut"', () => store.page(PAGE, null, 'walnut')],
        [`search "${rare}"`, () => store.page(PAGE, null, rare)],
      ],
      explainLast: async () => {
        const connection = await opened.adapter.connect();
        try {
          const plan = await connection.queryRaw({ ...last.query!, sql: `EXPLAIN ${last.query!.sql}` });
          return plan.rows.map((row) => `    ${String(row[0])}`).join('\n');
        } finally {
          await connection.dispose();
        }
      },
      close: async () => {
        await opened.close();
        await databases.drop();
      },
    };
  } catch (error) {
    await database?.close();
    await databases.drop();
    throw error;
  }
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
};

export async function benchCatalogue(rows: number, runs: number): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const server = process.env.BENCH_DATABASE_URL;
  if (server) process.env.TEST_DATABASE_URL = server;
  const target = server ? 'postgres' : 'pglite';
  const small = await open(target, 1_000);
  const large = await open(target, rows).catch(async (error: unknown) => {
    await small.close();
    throw error;
  });
  try {
    console.log(
      `\`npm run bench -- catalogue ${rows} ${runs}\` on ${server ? 'PostgreSQL (BENCH_DATABASE_URL)' : 'the embedded database (PGlite)'}, Node ${process.version}. The products store's query for each page (ms): medians of ${runs} runs (fewer past ${CASE_BUDGET_MS / 1000} s), the two sizes alternating.\n`,
    );
    console.log(`| query | ${small.rows.toLocaleString('en')} rows | ${large.rows.toLocaleString('en')} rows | ratio |`);
    console.log('|---|---|---|---|');
    const plans: string[] = [];
    for (const [index, [name, runSmall]] of small.cases.entries()) {
      const [largeName, runLarge] = large.cases[index]!;
      for (const [size, run] of [
        [small.rows, runSmall],
        [large.rows, runLarge],
      ] as const) {
        if ((await run()).length === 0) throw new Error(`${name} found nothing on ${size} rows`);
      }
      if (index > 0) plans.push(`\nEXPLAIN of ${largeName} at ${large.rows.toLocaleString('en')} rows:\n${await large.explainLast()}`);
      // Warm: Prisma's query cache, the JIT, the buffer cache.
      for (let i = 0; i < WARM_RUNS; i++) await Promise.all([runSmall(), runLarge()]);
      const samples: [number[], number[]] = [[], []];
      const started = Date.now();
      while (samples[0].length < runs && (samples[0].length < 3 || Date.now() - started < CASE_BUDGET_MS)) {
        samples[0].push(await timed(runSmall));
        samples[1].push(await timed(runLarge));
      }
      const [a, b] = [median(samples[0]), median(samples[1])];
      console.log(
        `| ${name === largeName ? name : `${name} / ${largeName}`} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)}× |`,
      );
    }
    console.log(
      `\nseeding ${large.rows.toLocaleString('en')} rows (one INSERT … SELECT, indexes maintained) and ANALYZE: ${large.seedSeconds.toFixed(1)} s`,
    );
    for (const plan of plans) console.log(plan);
  } finally {
    await small.close();
    await large.close();
  }
}
