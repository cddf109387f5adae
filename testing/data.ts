import { randomBytes } from 'node:crypto';

// Names for the data a test makes. A suite shares one supergraph, so a fixed SKU or email would tie
// a test to whichever test made it first; a random suffix lets each pass alone and in any order.

/** Eight random hex digits. */
export const uniqueSuffix = (): string => randomBytes(4).toString('hex');

/** `name-<suffix>@example.com`, lower case, as the users service stores it. */
export const uniqueEmail = (name = 'user'): string => `${name}-${uniqueSuffix()}@example.com`;

/** `PREFIX-<SUFFIX>`, within the SKU alphabet (letters, digits, '.', '_', '-'). */
export const uniqueSku = (prefix = 'SKU'): string => `${prefix}-${uniqueSuffix().toUpperCase()}`;

/** A Relay connection as the subgraphs answer it, for typing `query<T>()` in tests. */
export interface Connection<Node> {
  edges: { cursor?: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
