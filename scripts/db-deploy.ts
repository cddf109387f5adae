/**
 * `npm run db:deploy`: applies each registered subgraph's committed migrations to its database
 * with `prisma migrate deploy` (`<NAME>_DATABASE_URL`, or the embedded database where one is
 * unset). Stops at the first failure.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { databaseUrlFor, redactUrl } from '../lib/db/url';
import { PROJECT_ROOT } from '../lib/paths';
import { SUBGRAPHS, subgraphFiles, type SubgraphEntry } from '../lib/services';

/** The `prisma migrate deploy` command line of each subgraph, run from the project root. */
export function deployCommands(registry: readonly SubgraphEntry[] = SUBGRAPHS): { name: string; args: string[] }[] {
  return registry.map(({ name }) => ({ name, args: ['migrate', 'deploy', '--config', subgraphFiles(name).prismaConfig] }));
}

if (require.main === module) {
  const prisma = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prisma');
  for (const { name, args } of deployCommands()) {
    process.stdout.write(`\n== ${name}: ${redactUrl(databaseUrlFor(name))}\n`);
    const result = spawnSync(prisma, args, { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (result.status !== 0) {
      process.stderr.write(`db:deploy failed for ${name}\n`);
      process.exit(result.status ?? 1);
    }
  }
}
