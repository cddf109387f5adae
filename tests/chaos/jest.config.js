const path = require('node:path');
const { projects, ...base } = require('../../jest.config.js');

const integration = projects.find((project) => project.displayName === 'integration');

/** `npm run test:chaos`: only the chaos suite, which `npm test` leaves out. */
module.exports = {
  ...base,
  ...integration,
  displayName: 'chaos',
  rootDir: path.resolve(__dirname, '../..'),
  roots: ['<rootDir>/tests/chaos'],
  testTimeout: 300000,
};
