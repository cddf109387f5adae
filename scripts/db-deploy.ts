/**
 * `npm run db:deploy [name...]`, and in production `node dist/scripts/db-deploy.js <name>` (the
 * one-shot migrate service or Job): applies the committed migrations of the subgraphs named (all
 * of them when none is) to `<NAME>_DATABASE_URL`, or the embedded database where that is unset.
 * What `prisma migrate deploy` does, through the same WASM engine, in-process
 * (lib/db/migrations): it needs neither the prisma CLI nor TypeScript, so it runs in the runtime
 * image. Stops at the first failure, exiting non-zero.
 */
import { openDatabase } from '../lib/db/database';
import { databaseUrlFor, redactUrl } from '../lib/db/url';
import type { ServiceName } from '../lib/services';
import { deployPlan } from './deploy-plan';

async function main(names: string[]): Promise<void> {
  for (const { name } of deployPlan(names)) {
    const url = databaseUrlFor(name);
    process.stdout.write(`== ${name}: ${redactUrl(url)}\n`);
    const database = await openDatabase(name as ServiceName, url, { poolSize: 1 });
    try {
      const applied = await database.migrate();
      process.stdout.write(applied.length === 0 ? 'No pending migrations.\n' : `Applied ${applied.join(', ')}\n`);
    } finally {
      await database.close();
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`db:deploy failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
