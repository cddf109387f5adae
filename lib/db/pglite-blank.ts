import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { embeddedDbSettings, type EmbeddedDbSettings } from './embedded-settings';
import { PrivateNodeFS } from './pglite-fs';

/**
 * Creating a PGlite cluster (initdb) takes 2-5 s; loading a dump of a blank one takes ~0.5 s.
 * Shadow databases and new data dirs start from such a dump, kept per PGlite version in the
 * temp dir (~40 MB, uncompressed because decompressing costs more than reading).
 */
const CACHE_FILE = path.join(os.tmpdir(), 'commerce-pglite-cache', `pglite-${pgliteVersion()}-blank.tar`);

/** The installed PGlite's version (its package.json is not exported, so read from disk). */
function pgliteVersion(): string {
  const packageDir = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..');
  return (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

async function blankClusterDump(): Promise<Blob | undefined> {
  try {
    return new Blob([fs.readFileSync(CACHE_FILE)]);
  } catch {
    // Not made yet (or unreadable): make it once, below.
  }
  const fresh = await PGlite.create(PGLITE_OPTIONS);
  try {
    const dump = await fresh.dumpDataDir('none');
    const bytes = Buffer.from(await dump.arrayBuffer());
    // Written whole then renamed, so a concurrent reader never sees half a file.
    fs.mkdirSync(path.dirname(CACHE_FILE), { recursive: true });
    const partial = `${CACHE_FILE}.${process.pid}.partial`;
    fs.writeFileSync(partial, bytes);
    fs.renameSync(partial, CACHE_FILE);
    return new Blob([bytes]);
  } catch {
    return undefined; // no writable temp dir: every cluster is then created the slow way
  } finally {
    await fresh.close();
  }
}

/**
 * Settings every PGlite instance runs with. PostgreSQL's default 128 MB of shared buffers is most
 * of a PGlite process's memory; 32 MB measured 307 MiB RSS against 607 MiB for the default (one
 * process, 2,000 rows), and the dev-sized databases here fit in it. PostgreSQL in production is
 * configured on its server, not here. The extensions are those a migration may create (PGlite
 * bundles contrib modules but loads only those named): pg_trgm for the catalogue's search.
 */
export const PGLITE_OPTIONS = { postgresqlconf: ['shared_buffers=32MB'], extensions: { pg_trgm } } satisfies PGliteOptions;

/**
 * The options for a cluster in `dir`. PGlite starts PostgreSQL with `-F` (fsync off); a durable
 * dir starts without it, and with wal_sync_method=fsync because Emscripten's fdatasync() (the
 * Linux default) returns without doing anything, while fsync() reaches PrivateNodeFS.
 */
export function pgliteDirOptions(dir: string, settings: EmbeddedDbSettings): PGliteOptions {
  const startParams = settings.fsync
    ? [...PGlite.defaultStartParams.filter((param) => param !== '-F'), '-c', 'wal_sync_method=fsync']
    : PGlite.defaultStartParams;
  return { ...PGLITE_OPTIONS, startParams, fs: new PrivateNodeFS(dir, settings.fsync) };
}

/**
 * A new PGlite cluster, in memory (fsync off: there is no disk) or in `dataDir` (which must not
 * hold a cluster yet), written as `settings` say.
 */
export async function createBlankPglite(dataDir?: string, settings: EmbeddedDbSettings = embeddedDbSettings()): Promise<PGlite> {
  const loadDataDir = await blankClusterDump();
  const options = dataDir === undefined ? PGLITE_OPTIONS : pgliteDirOptions(dataDir, settings);
  return PGlite.create(dataDir, loadDataDir ? { ...options, loadDataDir } : options);
}

/** Whether `dir` holds a PGlite (PostgreSQL) cluster. */
export function holdsCluster(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'PG_VERSION'));
}
