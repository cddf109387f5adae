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
