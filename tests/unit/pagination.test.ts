import { GraphQLError } from 'graphql';
import { encodeCursor, keysetOf, keysetPage, readPageArgs, toConnection, type KeysetSort } from '../../lib/graphql/pagination';

const OLDEST_FIRST: KeysetSort<'createdAt', 'timestamp', 'asc'> = { field: 'createdAt', kind: 'timestamp', direction: 'asc' };
const NEWEST_FIRST: KeysetSort<'createdAt', 'timestamp', 'desc'> = { field: 'createdAt', kind: 'timestamp', direction: 'desc' };
const BY_NAME: KeysetSort<'name', 'text', 'asc'> = { field: 'name', kind: 'text', direction: 'asc' };

const codeOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return 'no error';
};

describe('cursors', () => {
  test('a cursor decodes to the keyset it encodes, for timestamps and text', () => {
    const keyset: [string, string] = ['2026-03-04T05:06:07.089Z', `ord_${Math.random().toString(36).slice(2)}`];
    expect(readPageArgs(10, encodeCursor(keyset), 'timestamp')).toEqual({ first: 10, take: 11, after: keyset });
    expect(readPageArgs(10, encodeCursor(['Ünïcode "name", with, commas', 'p_1']), 'text').after).toEqual([
      'Ünïcode "name", with, commas',
      'p_1',
    ]);
  });

  test('cursors issued before the keyset helper still decode (base64url JSON of [key, id])', () => {
    // Literal strings as the earlier code issued them: clients may hold them across a deploy.
    expect(readPageArgs(1, 'WyIyMDI2LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJvcmRfMSJd', 'timestamp').after).toEqual([
      '2026-01-01T00:00:00.000Z',
      'ord_1',
    ]);
    expect(readPageArgs(1, 'WyJBcHBsZSBQaWUiLCJwXzEiXQ', 'text').after).toEqual(['Apple Pie', 'p_1']);
    expect(encodeCursor(['Apple Pie', 'p_1'])).toBe('WyJBcHBsZSBQaWUiLCJwXzEiXQ');
  });

  test('a tampered or foreign cursor is BAD_USER_INPUT naming "after"', () => {
    const tampered = [
      'not base64 at all!',
      Buffer.from('{"createdAt":"2026-01-01"}').toString('base64url'),
      Buffer.from('["only-one"]').toString('base64url'),
      Buffer.from('["a","b","c"]').toString('base64url'),
      Buffer.from('[1,"id"]').toString('base64url'),
      Buffer.from('["a","b"').toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('[{"gt":""},"id"]').toString('base64url'),
    ];
    for (const cursor of tampered) expect(codeOf(() => readPageArgs(1, cursor, 'text'))).toBe('BAD_USER_INPUT');
    // Well-formed, but not a timestamp: it would reach the database as an invalid date.
    const notADate = encodeCursor(['Apple', 'p_1']);
    expect(codeOf(() => readPageArgs(1, notADate, 'timestamp'))).toBe('BAD_USER_INPUT');
    try {
      readPageArgs(1, notADate, 'timestamp');
    } catch (error) {
      expect((error as GraphQLError).extensions.field).toBe('after');
    }
  });

  test('"first" outside 0..100 is BAD_USER_INPUT; no "first" means 20', () => {
    for (const first of [-1, 101, 1.5]) expect(codeOf(() => readPageArgs(first, null, 'text'))).toBe('BAD_USER_INPUT');
    expect(readPageArgs(null, null, 'text')).toEqual({ first: 20, take: 21, after: null });
    expect(readPageArgs(0, null, 'text')).toEqual({ first: 0, take: 1, after: null });
  });
});

describe('keysetPage', () => {
  test('ascending: a key at or after (an index bound), then a later key, or the same key and a later id; timestamps as dates', () => {
    expect(keysetPage(OLDEST_FIRST, ['2026-01-01T00:00:00.000Z', 'u_5'])).toEqual({
      where: {
        AND: [
          { createdAt: { gte: new Date('2026-01-01T00:00:00.000Z') } },
          {
            OR: [
              { createdAt: { gt: new Date('2026-01-01T00:00:00.000Z') } },
              { createdAt: new Date('2026-01-01T00:00:00.000Z'), id: { gt: 'u_5' } },
            ],
          },
        ],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  });

  test('descending: a key at or before, then an earlier key, or the same key and an earlier id', () => {
    expect(keysetPage(NEWEST_FIRST, ['2026-01-01T00:00:00.000Z', 'o_5'])).toEqual({
      where: {
        AND: [
          { createdAt: { lte: new Date('2026-01-01T00:00:00.000Z') } },
          {
            OR: [
              { createdAt: { lt: new Date('2026-01-01T00:00:00.000Z') } },
              { createdAt: new Date('2026-01-01T00:00:00.000Z'), id: { lt: 'o_5' } },
            ],
          },
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
  });

  test('text keys are compared as text', () => {
    expect(keysetPage(BY_NAME, ['Apple', 'p_1']).where).toEqual({
      AND: [{ name: { gte: 'Apple' } }, { OR: [{ name: { gt: 'Apple' } }, { name: 'Apple', id: { gt: 'p_1' } }] }],
    });
  });

  test('the first page has no where, and the same order', () => {
    expect(keysetPage(NEWEST_FIRST, null)).toEqual({ where: undefined, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    expect(keysetPage(BY_NAME, null)).toEqual({ where: undefined, orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  });
});

describe('keysetOf and toConnection', () => {
  const at = new Date('2026-02-03T04:05:06.007Z');

  test("a row's keyset is its sort key (a timestamp as ISO text) and its id", () => {
    expect(keysetOf(NEWEST_FIRST, { createdAt: at, id: 'o_1' })).toEqual(['2026-02-03T04:05:06.007Z', 'o_1']);
    expect(keysetOf(BY_NAME, { name: 'Pear', id: 'p_2' })).toEqual(['Pear', 'p_2']);
  });

  test('a cursor a page issues pages on from exactly that row, ties on equal timestamps included', () => {
    const rows = [
      { createdAt: at, id: 'o_3' },
      { createdAt: at, id: 'o_2' },
      { createdAt: at, id: 'o_1' },
    ];
    const connection = toConnection(rows, 2, (row) => keysetOf(NEWEST_FIRST, row));
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(connection.edges.map((edge) => edge.node.id)).toEqual(['o_3', 'o_2']);
    const next = readPageArgs(2, connection.pageInfo.endCursor, 'timestamp');
    expect(keysetPage(NEWEST_FIRST, next.after).where).toEqual({
      AND: [{ createdAt: { lte: at } }, { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: 'o_2' } }] }],
    });
  });
});
