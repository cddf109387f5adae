const path = require('node:path');
const base = require('../../jest.config.js');

/** `npm run test:chaos`: only the chaos suite, which `npm test` leaves out. */
module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '../..'),
  roots: ['<rootDir>/tests/chaos'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
};
