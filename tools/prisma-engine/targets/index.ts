import { parseDatabaseUrl } from '../../../lib/db/url';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';
import type { OpenedTarget } from './types';

export type { OpenedTarget } from './types';

/** The adapter factory for a datasource URL: PostgreSQL, or PGlite on disk (`pglite:<dir>`). */
export function openTarget(url: string, shadowUrl?: string): OpenedTarget {
  const target = parseDatabaseUrl(url);
  return target.kind === 'pglite' ? openPglite(target.dir) : openPostgres(target.url, shadowUrl);
}
