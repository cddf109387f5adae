import fs from 'node:fs';
import path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';

const LOCKFILE = 'migration_lock.toml';
const SCRIPT = 'migration.sql';

/** The migration folders' names in order (each a folder holding a migration.sql). */
export function listMigrationNames(migrationsDir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(migrationsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(migrationsDir, entry.name, SCRIPT)))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * The migrations folder as the engine wants it, read the way the CLI reads it: every folder, in
 * name order, with its migration.sql's content or the error reading it.
 */
export function readMigrationList(migrationsDir: string): MigrationList {
  const baseDir = path.resolve(migrationsDir);
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  let folders: string[] = [];
  try {
    folders = fs
      .readdirSync(baseDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {
    baseDir,
    lockfile: { path: LOCKFILE, content: read(path.join(baseDir, LOCKFILE)) },
    shadowDbInitScript: '',
    migrationDirectories: folders.map((folder) => {
      const script = read(path.join(baseDir, folder, SCRIPT));
      return {
        path: folder,
        migrationFile: {
          path: SCRIPT,
          content: script === null ? { tag: 'error', value: `Could not read ${SCRIPT}` } : { tag: 'ok', value: script },
        },
      };
    }),
  };
}
