/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // The chaos suite runs real processes for minutes: `npm run test:chaos` (tests/chaos/jest.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/chaos/'],
  // Type-checking is `npm run check:types`; here TypeScript is only transpiled, which keeps jest fast.
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', moduleResolution: 'node10' }, diagnostics: false },
    ],
  },
  // jose and the schema engine's WASM glue are ESM-only; jest's module system needs them as CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@prisma/schema-engine-wasm)/)'],
  testTimeout: 120000,
};
