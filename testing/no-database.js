// Stands in for every database and Redis driver in the unit tier (jest.config.js): a unit test that
// imports one, directly or through the module it tests, fails here with a message saying where it belongs.
throw new Error(
  'A unit test (tests/unit) may not use a database or Redis driver. Test the logic without it, or move the test to tests/integration.',
);
