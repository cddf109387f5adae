import { readBoolean } from '../config';

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
