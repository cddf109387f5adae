import { badInput } from './errors';

export const MAX_PAGE_SIZE = 100;

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A keyset position: the sort key values of the last row seen, e.g. [createdAt, id]. */
export type Keyset = [string, string];

/** What the first value of a list's keyset is: a timestamp (ISO string) or plain text. */
export type KeysetKind = 'timestamp' | 'text';

/** Which way a list runs: `asc` pages forward with `gt`, `desc` with `lt`. */
export type SortDirection = 'asc' | 'desc';

/**
 * How a list is sorted for keyset pagination: by `field`, then by `id` to break ties, both in
 * `direction`. A store declares its order once, as a constant, and the cursor (`keysetOf`), the
 * `where` and the `orderBy` (`keysetPage`) all follow from it.
 */
export interface KeysetSort<F extends string, K extends KeysetKind = KeysetKind, D extends SortDirection = SortDirection> {
  field: F;
  kind: K;
  direction: D;
}

/** A keyset value as the database compares it: a `Date` for a timestamp column, text as it is. */
type KeyValue<K extends KeysetKind> = K extends 'timestamp' ? Date : string;
type After<D extends SortDirection> = D extends 'asc' ? 'gt' : 'lt';
type AtOrAfter<D extends SortDirection> = D extends 'asc' ? 'gte' : 'lte';

/**
 * Rows after the keyset: a later `field`, or the same `field` and a later `id`. The first
 * condition (`field` at or after the keyset's) says nothing the `OR` does not, but PostgreSQL
 * cannot start an index scan from an `OR`: without it a page deep in a long list reads the index
 * from its beginning (measured by `npm run bench -- catalogue`).
 */
export type KeysetWhere<F extends string, K extends KeysetKind, D extends SortDirection> = {
  AND: [
    { [P in F]: { [O in AtOrAfter<D>]: KeyValue<K> } },
    { OR: [{ [P in F]: { [O in After<D>]: KeyValue<K> } }, { [P in F]: KeyValue<K> } & { id: { [O in After<D>]: string } }] },
  ];
};
export type KeysetOrderBy<F extends string, D extends SortDirection> = [{ [P in F]: D }, { id: D }];

/**
 * The Prisma `where` fragment (undefined on the first page) and `orderBy` for the page after
 * `after`. Their types name the sort's field, so the model's own `findMany` checks them: a field the
 * model lacks does not compile (and `keysetOf` checks the kind against the row's column type).
 */
export function keysetPage<F extends string, K extends KeysetKind, D extends SortDirection>(
  sort: KeysetSort<F, K, D>,
  after: Keyset | null,
): { where: KeysetWhere<F, K, D> | undefined; orderBy: KeysetOrderBy<F, D> } {
  const orderBy = [{ [sort.field]: sort.direction }, { id: sort.direction }] as KeysetOrderBy<F, D>;
  if (!after) return { where: undefined, orderBy };
  const [operator, bound] = sort.direction === 'asc' ? ['gt', 'gte'] : ['lt', 'lte'];
  const value = sort.kind === 'timestamp' ? new Date(after[0]) : after[0];
  const later = { OR: [{ [sort.field]: { [operator]: value } }, { [sort.field]: value, id: { [operator]: after[1] } }] };
  const where = { AND: [{ [sort.field]: { [bound]: value } }, later] };
  return { where: where as KeysetWhere<F, K, D>, orderBy };
}

/** A row's keyset under `sort`: what its cursor encodes. */
export function keysetOf<F extends string, K extends KeysetKind>(
  sort: KeysetSort<F, K>,
  row: { [P in F]: KeyValue<K> } & { id: string },
): Keyset {
  const value: Date | string = row[sort.field];
  return [value instanceof Date ? value.toISOString() : value, row.id];
}

/**
 * Validates `first` (0..100) and decodes `after`, checking it has the shape of this list's keyset
 * (a tampered cursor is BAD_USER_INPUT, never a database error). Ask the database for `take` rows
 * (one extra, to learn whether another page follows).
 */
export function readPageArgs(
  first: number | null | undefined,
  after: string | null | undefined,
  kind: KeysetKind,
): { first: number; take: number; after: Keyset | null } {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`"first" must be between 0 and ${MAX_PAGE_SIZE}, got ${size}.`, 'first');
  }
  const keyset = after ? decodeCursor(after) : null;
  if (keyset && kind === 'timestamp' && Number.isNaN(Date.parse(keyset[0]))) throw badCursor();
  return { first: size, take: size + 1, after: keyset };
}

const badCursor = () =>
  badInput(`"after" is not a cursor this list issued: pass a pageInfo.endCursor or edges.cursor value from it.`, 'after');

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

function decodeCursor(cursor: string): Keyset {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) {
      return value as Keyset;
    }
  } catch {
    // falls through to the error below
  }
  throw badCursor();
}

/** Builds a Relay connection from up to `first + 1` rows fetched in order. */
export function toConnection<T>(rows: T[], first: number, keysetOf: (row: T) => Keyset): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(keysetOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
