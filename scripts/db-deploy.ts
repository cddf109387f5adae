/**
 * `npm run db:deploy`: applies each service's committed migrations to its database with
 * `prisma migrate deploy` (USERS_DATABASE_URL, PRODUCTS_DATABASE_URL, ORDERS_DATABASE_URL, or the
 * embedded databases where one is unset). Stops at the first failure.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { databaseUrlFor, redactUrl, SERVICES } from '../lib/db/url';
import { PROJECT_ROOT } from '../lib/paths';

const prisma = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prisma');
for (const service of SERVICES) {
  process.stdout.write(`\n== ${service}: ${redactUrl(databaseUrlFor(service))}\n`);
  const result = spawnSync(prisma, ['migrate', 'deploy', '--config', path.join('prisma', service, 'prisma.config.ts')], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    process.stderr.write(`db:deploy failed for ${service}\n`);
    process.exit(result.status ?? 1);
  }
}
