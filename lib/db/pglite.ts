import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { embeddedDbSettings, type EmbeddedDbSettings } from './embedded-settings';
import { lockDataDir } from './lock';
import { createBlankPglite, holdsCluster, pgliteDirOptions } from './pglite-blank';
import { restrictTree } from './pglite-fs';

/**
 * Opens (creating if needed, from the cached blank cluster) the PGlite cluster in `dir`, holding
 * the data dir lock for as long as it is open: PGlite has no lock of its own, and two processes on
 * one dir silently lose writes. Services and the Prisma CLI's engine both open dirs through here,
 * so each refuses a dir the other holds (DataDirLockedError, naming the holder). The dir is kept
 * owner-only (0700, files 0600) and, unless `settings.fsync` is off, fsynced on every commit.
 */
export async function openPgliteDir(
  dir: string,
  owner: string,
  settings: EmbeddedDbSettings = embeddedDbSettings(),
): Promise<{ pglite: PGlite; close(): Promise<void> }> {
  const release = lockDataDir(dir, owner);
  try {
    // Dirs written before files were made private (0666) are fixed before PostgreSQL reads them.
    if (fs.existsSync(dir)) restrictTree(dir);
    const pglite = holdsCluster(dir) ? await PGlite.create(dir, pgliteDirOptions(dir, settings)) : await createBlankPglite(dir, settings);
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
