import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './lock';
import { createBlankPglite, holdsCluster, PGLITE_OPTIONS } from './pglite-blank';

/**
 * Opens (creating if needed, from the cached blank cluster) the PGlite cluster in `dir`, holding
 * the data dir lock for as long as it is open: PGlite has no lock of its own, and two processes on
 * one dir silently lose writes. Services and the Prisma CLI's engine both open dirs through here,
 * so each refuses a dir the other holds (DataDirLockedError, naming the holder).
 */
export async function openPgliteDir(dir: string, owner: string): Promise<{ pglite: PGlite; close(): Promise<void> }> {
  const release = lockDataDir(dir, owner);
  try {
    const pglite = holdsCluster(dir) ? await PGlite.create(dir, PGLITE_OPTIONS) : await createBlankPglite(dir);
    return {
      pglite,
      close: async () => {
        try {
          await pglite.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
