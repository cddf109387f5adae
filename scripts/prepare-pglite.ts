/**
 * Run by `npm install`: makes the blank PGlite cluster that new embedded databases are copied
 * from, so the first `npm start` copies one (~0.5 s) instead of running initdb three times at once.
 */
import { createBlankPglite } from '../lib/db/pglite-blank';

createBlankPglite()
  .then((pglite) => pglite.close())
  .catch((error: unknown) => {
    // Not fatal: services then create their clusters the slow way.
    process.stderr.write(`Could not prepare the blank PGlite cluster: ${(error as Error).message}\n`);
  });
