import type pg from 'pg';
import { ColumnTypeEnum, type SqlResultSet } from '@prisma/driver-adapter-utils';

/**
 * @prisma/adapter-pg cannot type PostgreSQL's internal `"char"` (oid 18), which the schema
 * engine reads from pg_catalog (e.g. pg_constraint.contype): the query fails as an unsupported
 * column type. Reporting it as Text is not enough either (the engine then panics on CHECK
 * constraints): it must be the Character column type, which no oid maps to in that adapter.
 *
 * So the fix has two halves. On the pg connection, a `"char"` field is relabelled as text and its
 * name tagged; on the adapter's result, the tag is removed and the column typed Character. The
 * tag cannot collide with a real column name (it contains a NUL character).
 */
const CHAR_OID = 18;
const TEXT_OID = 25;
const TAG = '\u0000"char"';

type QueryResultLike = { fields?: { name: string; dataTypeID: number }[] };

function tagCharFields(result: unknown): unknown {
  for (const field of (result as QueryResultLike)?.fields ?? []) {
    if (field.dataTypeID === CHAR_OID) {
      field.dataTypeID = TEXT_OID;
      field.name += TAG;
    }
  }
  return result;
}

const tagging = new WeakSet<pg.PoolClient>();

/**
 * First half: every connection the pool hands out from now on relabels `"char"` fields. Patched
 * on 'acquire' (each checkout), not 'connect', so idle connections made earlier are covered too.
 */
export function tagCharColumnsOnPool(pool: pg.Pool): void {
  pool.on('acquire', (client) => {
    if (tagging.has(client)) return;
    tagging.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const tagged = (...args: unknown[]): unknown => {
      // pg-pool's own pool.query() passes a callback; a checked-out client is used with promises.
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: unknown, result: unknown) => callback(error, error ? result : tagCharFields(result));
      }
      const result = query(...args);
      return result instanceof Promise ? result.then(tagCharFields) : result;
    };
    Object.assign(client, { query: tagged });
  });
}

/** Second half: turns tagged columns of an adapter result back into Character columns. */
export function untagCharColumns(result: SqlResultSet): SqlResultSet {
  result.columnNames.forEach((name, index) => {
    if (name.endsWith(TAG)) {
      result.columnNames[index] = name.slice(0, -TAG.length);
      result.columnTypes[index] = ColumnTypeEnum.Character;
    }
  });
  return result;
}
