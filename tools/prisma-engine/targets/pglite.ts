import type { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { createBlankPglite } from '../../../lib/db/pglite-blank';
import { openPgliteDir } from '../../../lib/db/pglite';
import type { OpenedTarget } from './types';

/** Who the lock file names while the CLI works on a data dir. */
export const LOCK_OWNER = 'prisma schema engine';

/**
 * The adapter's own shadow database is a `new PGlite('memory://shadow')` per call that is never
 * closed (hundreds of MB each). Ours starts from the blank-cluster dump and closes on dispose.
 */
async function connectToShadowPglite(): Promise<SqlDriverAdapter> {
  const shadow = await createBlankPglite();
  const adapter = await new PrismaPGlite(shadow).connect();
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await dispose();
    await shadow.close();
  };
  return adapter;
}

/**
 * The data dir is opened (and locked) on the first connection. The wasm engine connects and
 * queries at start even for commands that need no database (`migrate diff --from-empty
 * --to-schema`), so such commands do open, and if need be create, the data dir.
 */
export function openPglite(dir: string): OpenedTarget {
  let opened: Promise<{ pglite: PGlite; close(): Promise<void> }> | undefined;
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: 'pglite-prisma-adapter',
    connect: async () => {
      opened ??= openPgliteDir(dir, LOCK_OWNER);
      return new PrismaPGlite((await opened).pglite).connect();
    },
    connectToShadowDb: connectToShadowPglite,
  };
  return {
    factory,
    close: async () => {
      // A dir that never opened (or that the lock refused) has nothing to close.
      const dir = await opened?.catch(() => undefined);
      await dir?.close();
    },
  };
}
