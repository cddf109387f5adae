import { ConfigError, readBoolean } from '../config';
import type { ServiceName } from '../services';

type Env = Record<string, string | undefined>;

/** How an embedded (PGlite) data dir is written. */
export interface EmbeddedDbSettings {
  /**
   * fsync(2) each commit's WAL and each checkpoint (`EMBEDDED_DB_FSYNC`). Off, a power loss or
   * kernel crash can lose recent commits or corrupt the dir; a killed process loses nothing
   * either way. Tests and throwaway dev dirs may turn it off for speed.
   * @default true
   */
  fsync: boolean;
}

export function embeddedDbSettings(env: Env = process.env): EmbeddedDbSettings {
  return { fsync: readBoolean(env, 'EMBEDDED_DB_FSYNC', true) };
}

/**
 * The embedded database is one process's files on one disk: no replicas, no backups, no second
 * instance. In production a service must be pointed at PostgreSQL, or told that this is meant.
 */
export function refuseEmbeddedInProduction(service: ServiceName, env: Env = process.env): void {
  if (env.NODE_ENV !== 'production' || readBoolean(env, 'ALLOW_EMBEDDED_DB', false)) return;
  throw new ConfigError(
    `NODE_ENV=production refuses the embedded database for the ${service} service: set ` +
      `${service.toUpperCase()}_DATABASE_URL to a PostgreSQL URL, or ALLOW_EMBEDDED_DB=true to run on the embedded one anyway.`,
  );
}
