import { GraphQLError } from 'graphql';
import { ConfigError, loadServiceConfig, readPort } from '../../lib/config';
import { parseDatabaseUrl, redactUrl } from '../../lib/db/url';
import { badInput, maskInternalErrors } from '../../lib/graphql/errors';
import { readPageArgs, encodeCursor } from '../../lib/graphql/pagination';
import { loadOrdersConfig } from '../../subgraphs/orders/config';
import type { Logger } from '../../lib/log';

describe('error masking', () => {
  const logged: unknown[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (_message, fields) => logged.push(fields) };
  const format = maskInternalErrors(log);
  // Each test reads only what it logged itself, whatever order the tests run in.
  beforeEach(() => {
    logged.length = 0;
  });

  test('a database error reaches the client as INTERNAL_SERVER_ERROR with no SQL, and is logged in full', () => {
    const prismaError = Object.assign(new Error('Invalid `prisma.user.create()`: SELECT "password_hash" FROM users'), { code: 'P2010' });
    const wrapped = new GraphQLError(prismaError.message, { originalError: prismaError, path: ['signUp'] });
    const formatted = format(
      { message: prismaError.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      wrapped,
    );
    expect(formatted).toEqual({
      message: expect.stringMatching(/^Internal server error/),
      path: undefined,
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(formatted)).not.toMatch(/SELECT|prisma|password/);
    expect(logged).toEqual([{ error: prismaError, path: undefined }]);
  });

  test('client errors keep their code and message, without a stack trace', () => {
    const error = badInput('"first" must be between 0 and 100, got 101.', 'first');
    const formatted = format({ message: error.message, extensions: { ...error.extensions, stacktrace: ['at y'] } }, error);
    expect(formatted).toEqual({ message: error.message, extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
  });

  test('an unknown code on a non-GraphQL error is masked even if it looks like a client code', () => {
    const sneaky = Object.assign(new Error('boom'), { extensions: { code: 'BAD_USER_INPUT' } });
    const fromResolver = new GraphQLError('boom', { originalError: sneaky, path: ['signUp'] });
    const formatted = format({ message: 'boom', path: ['signUp'], extensions: { code: 'BAD_USER_INPUT' } }, fromResolver);
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(logged).toEqual([{ error: sneaky, path: ['signUp'] }]);
  });
});

describe('configuration', () => {
  test('a bad port names the variable', () => {
    expect(() => readPort({ USERS_PORT: 'abc' }, 'USERS_PORT', 4001)).toThrow(
      new ConfigError('USERS_PORT must be a port number between 0 and 65535, got "abc"'),
    );
  });

  test('a service uses PostgreSQL when its URL is set, the embedded database under DATA_DIR otherwise', () => {
    expect(loadServiceConfig('orders', { ORDERS_DATABASE_URL: 'postgresql://u:p@db:5432/orders' }).databaseUrl).toBe(
      'postgresql://u:p@db:5432/orders',
    );
    expect(parseDatabaseUrl(loadServiceConfig('orders', { DATA_DIR: '/srv/data' }).databaseUrl)).toEqual({
      kind: 'pglite',
      dir: '/srv/data/orders/pgdata',
    });
    expect(() => parseDatabaseUrl('mysql://x')).toThrow(/Unsupported database URL/);
    expect(redactUrl('postgresql://user:secret@host/db')).toBe('postgresql://user:***@host/db');
  });
});

describe('orders settings', () => {
  test('a malformed PRODUCTS_INTERNAL_URL stops start-up naming the variable', () => {
    expect(() => loadOrdersConfig({ PRODUCTS_INTERNAL_URL: 'products port 4002' })).toThrow(
      /PRODUCTS_INTERNAL_URL must be an absolute URL/,
    );
    expect(loadOrdersConfig({ PRODUCTS_INTERNAL_URL: 'http://products.internal:4002' }).productsInternalUrl.href).toBe(
      'http://products.internal:4002/',
    );
    expect(loadOrdersConfig({ PRODUCTS_PORT: '5002' }).productsInternalUrl.href).toBe('http://localhost:5002/');
  });
});

describe('production settings', () => {
  test('demo data (published passwords) cannot be seeded in production', () => {
    expect(() => loadServiceConfig('users', { NODE_ENV: 'production', SEED_DEMO_DATA: 'true' })).toThrow(
      /SEED_DEMO_DATA must not be set in production/,
    );
    expect(loadServiceConfig('users', { NODE_ENV: 'production' }).seedDemoData).toBe(false);
  });
});

describe('pagination arguments', () => {
  test('first must be 0..100 and after must be a cursor we issued', () => {
    expect(readPageArgs(undefined, undefined, 'text')).toEqual({ first: 20, take: 21, after: null });
    expect(readPageArgs(5, encodeCursor(['2026-01-01T00:00:00.000Z', 'id-1']), 'timestamp')).toEqual({
      first: 5,
      take: 6,
      after: ['2026-01-01T00:00:00.000Z', 'id-1'],
    });
    for (const first of [-1, 101]) expect(() => readPageArgs(first, null, 'text')).toThrow(/between 0 and 100/);
    for (const cursor of ['garbage', Buffer.from('{"a":1}').toString('base64url')])
      expect(() => readPageArgs(1, cursor, 'text')).toThrow(/not a cursor/);
    // The right shape, a tampered value: refused before it reaches SQL.
    expect(() => readPageArgs(1, encodeCursor(['not-a-date', 'id-1']), 'timestamp')).toThrow(/not a cursor/);
    expect(readPageArgs(1, encodeCursor(['Apple', 'id-1']), 'text').after).toEqual(['Apple', 'id-1']);
  });
});
