/**
 * `npm run bench -- writes [writes=200] [rounds=3]`: the cost of fsync on the embedded database.
 * Creates products through the products service's Prisma client (one commit each) on two fresh
 * PGlite dirs, fsync on and off, alternating rounds so both see the same disk and CPU; prints the
 * median latency per write, writes per second, and the ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../lib/db/database';
import { PrismaClient } from '../subgraphs/products/generated/prisma/client';
import { median } from './stats';

interface Variant {
  name: string;
  database: Database;
  prisma: PrismaClient;
  latencies: number[];
  seconds: number;
}

async function openVariant(root: string, fsync: boolean): Promise<Variant> {
  const name = fsync ? 'fsync on' : 'fsync off';
  const dir = path.join(root, fsync ? 'on' : 'off');
  const database = await openDatabase('products', `pglite:${dir}`, { env: { EMBEDDED_DB_FSYNC: String(fsync) } });
  await database.migrate();
  return { name, database, prisma: new PrismaClient({ adapter: database.adapter }), latencies: [], seconds: 0 };
}

async function runRound(variant: Variant, round: number, writes: number): Promise<void> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < writes; i++) {
    const before = process.hrtime.bigint();
    await variant.prisma.product.create({ data: { sku: `W-${round}-${i}`, name: `Write ${i}`, priceCents: 100, stock: 10 } });
    variant.latencies.push(Number(process.hrtime.bigint() - before) / 1e6);
  }
  variant.seconds += Number(process.hrtime.bigint() - started) / 1e9;
}

export async function benchWrites(writes: number, rounds: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-bench-writes-'));
  const variants = [await openVariant(root, true), await openVariant(root, false)];
  try {
    for (const variant of variants) await runRound(variant, -1, 20); // warm-up, not counted
    for (const variant of variants) variant.latencies = [];
    for (const variant of variants) variant.seconds = 0;
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 ? [...variants].reverse() : variants) await runRound(variant, round, writes);
    }
    console.log(`${writes} product creates x ${rounds} rounds on the embedded database (${os.tmpdir()}), one commit each:`);
    for (const variant of variants) {
      const count = variant.latencies.length;
      console.log(
        `  ${variant.name.padEnd(9)}  median ${median(variant.latencies).toFixed(2)} ms/write` +
          `  p95 ${percentile(variant.latencies, 0.95).toFixed(2)} ms  ${(count / variant.seconds).toFixed(0)} writes/s`,
      );
    }
    const [on, off] = variants as [Variant, Variant];
    console.log(`  fsync on / off: ${(median(on.latencies) / median(off.latencies)).toFixed(2)}x median latency`);
  } finally {
    for (const variant of variants) {
      await variant.prisma.$disconnect();
      await variant.database.close();
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
