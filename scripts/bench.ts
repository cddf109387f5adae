/**
 * `npm run bench -- <name> [options]`. Benchmarks print figures; tests never assert timings.
 *   startup [runs=3]                 cold and warm start to first answer, idle RSS per process
 *   entities [pglite|postgres] [runs=20]   SQL statements, fetches and latency for N = 1, 10, 100
 *   router [seconds=5] [rounds=3]    what parts of the router cost: gateways on the catalogue with router, tracing, trusted, no-limits, stock, router-again
 *   gateways [seconds=10] [rounds=3] [scenario,...] [gateway,...]   our router beside stock Apollo Gateway and Hive Gateway: mix, hot, catalogue, users
 *   writes [writes=200] [rounds=3]   embedded-database commits with fsync on and off, side by side
 *   memory [runs=1]                  idle RSS of each service compiled (dist/) beside tsx from source
 *   catalogue [rows=1000000] [runs=20]   catalogue pages and search on 1,000 products beside `rows`, with EXPLAIN
 */
import { benchCatalogue } from '../bench/catalogue';
import { benchEntities } from '../bench/entities';
import { benchGateways, type GatewayChoice, SCENARIOS } from '../bench/gateways';
import { benchMemory } from '../bench/memory';
import { benchStartup } from '../bench/startup';
import { benchWrites } from '../bench/writes';

const [name, ...args] = process.argv.slice(2);
const benches: Record<string, () => Promise<void>> = {
  startup: () => benchStartup(Number(args[0] ?? 3)),
  entities: () => benchEntities(args[0] === 'postgres' ? 'postgres' : 'pglite', Number(args[1] ?? 20)),
  router: () =>
    benchGateways(
      Number(args[0] ?? 5),
      Number(args[1] ?? 3),
      ['catalogue'],
      ['router', 'tracing', 'trusted', 'no-limits', 'stock', 'router-again'],
    ),
  gateways: () =>
    benchGateways(
      Number(args[0] ?? 10),
      Number(args[1] ?? 3),
      args[2] ? (args[2].split(',') as (typeof SCENARIOS)[number][]) : SCENARIOS,
      args[3] ? (args[3].split(',') as GatewayChoice[]) : undefined,
    ),
  writes: () => benchWrites(Number(args[0] ?? 200), Number(args[1] ?? 3)),
  memory: () => benchMemory(Number(args[0] ?? 1)),
  catalogue: () => benchCatalogue(Number(args[0] ?? 1_000_000), Number(args[1] ?? 20)),
};
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`Usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
bench().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
