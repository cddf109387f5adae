/**
 * Two tiers (CONTRIBUTING.md, "Tests"):
 * - unit: tests/unit, pure logic with no database, server or network; `npm run test:unit`, seconds.
 * - integration: tests/integration, the supergraph on real databases; `npm run test:integration`.
 * `npm test` runs both. The chaos suite (tests/chaos) has its own config: `npm run test:chaos`.
 */
// Node 24 loads ES modules with require() itself (and jest 30 uses that); older Node needs the
// ESM-only packages turned into CommonJS, which on Node 24 would then run as ESM and fail.
const NATIVE_REQUIRE_ESM = Number(process.versions.node.split('.')[0]) >= 24;

// Jest's default, one worker fewer than the cores, runs everything in one process on a 2-core
// machine; the integration tests spend much of their time waiting (on PostgreSQL, on subprocesses,
// on timeouts they provoke), so two files at a time keep both cores busy.
const WORKERS = Math.max(2, require('node:os').availableParallelism() - 1);

const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/testing/matchers.ts'],
  // Type-checking is `npm run check:types`; here TypeScript is only transpiled, which keeps jest fast.
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', moduleResolution: 'node10' }, diagnostics: false },
    ],
  },
  // jose and the schema engine's WASM glue are ESM-only: below Node 24 jest needs them as CommonJS.
  transformIgnorePatterns: NATIVE_REQUIRE_ESM ? ['/node_modules/'] : ['/node_modules/(?!(jose|@prisma/schema-engine-wasm)/)'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  maxWorkers: WORKERS,
  // Scratch databases in memory (/dev/shm) when the machine has room: see the file.
  globalSetup: '<rootDir>/testing/global-setup.js',
  testSequencer: '<rootDir>/testing/sequencer.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/tests/unit'],
      // A unit test that reaches for a database fails at the import, not by being slow.
      moduleNameMapper: {
        '^(@electric-sql/pglite|pg|@prisma/adapter-pg|pglite-prisma-adapter|ioredis)(/.*)?$': '<rootDir>/testing/no-database.js',
      },
    },
    { ...shared, displayName: 'integration', roots: ['<rootDir>/tests/integration'] },
  ],
};
