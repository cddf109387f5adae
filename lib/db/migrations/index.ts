/**
 * The project's own Prisma schema engine (see README.md). Services use this library part at
 * start-up; the `bin/schema-engine` executable is what the Prisma CLI runs.
 */
export { applyMigrations, pendingMigrations, pendingMigrationsOn, MigrationError } from './migrate';
export type { ApplyMigrationsOptions, PendingMigrationsOptions } from './migrate';
export { listMigrationNames } from './migrations-dir';
