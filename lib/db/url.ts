import path from 'node:path';
import { PROJECT_ROOT } from '../paths';

/** Scheme of the embedded database URL: `pglite:<absolute data dir>`. */
export const PGLITE_SCHEME = 'pglite:';

type Env = Record<string, string | undefined>;

/** Where a service keeps its embedded database, its dev keys and its lock: `$DATA_DIR/<service>`. */
export function serviceDataDir(service: string, env: Env = process.env): string {
  return path.resolve(PROJECT_ROOT, env.DATA_DIR || '.data', service);
}

/**
 * The service's database: `<SERVICE>_DATABASE_URL` (PostgreSQL) when set, otherwise the embedded
 * PGlite database under its data dir.
 */
export function databaseUrlFor(service: string, env: Env = process.env): string {
  const configured = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (configured) return configured;
  return PGLITE_SCHEME + path.join(serviceDataDir(service, env), 'pgdata');
}

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string };

/** Splits a database URL into the two kinds the project runs on; anything else is a clear error. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith(PGLITE_SCHEME)) {
    const dir = url.slice(PGLITE_SCHEME.length).replace(/^\/\/(?=\/)/, '');
    if (!dir) throw new Error(`Database URL "${url}" names no directory: use pglite:/absolute/path`);
    return { kind: 'pglite', dir: path.resolve(PROJECT_ROOT, dir) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new Error(`Unsupported database URL "${redactUrl(url)}": use postgresql://user:pass@host:5432/db or pglite:/path/to/dir`);
}

/** The URL with any password replaced, safe to log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
