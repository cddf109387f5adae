/** The unit tier runs with no database: jest.config.js maps every driver to testing/no-database.js. */
test.each(['pg', '@electric-sql/pglite', 'pglite-prisma-adapter', '@prisma/adapter-pg', 'ioredis'])(
  'importing %s in a unit test fails with a message saying where the test belongs',
  (driver) => {
    expect(() => require(driver)).toThrow('A unit test (tests/unit) may not use a database or Redis driver');
  },
);

test('the database layer cannot be loaded either, so a unit test cannot open one by accident', () => {
  expect(() => require('../../lib/db/database')).toThrow('may not use a database');
});
