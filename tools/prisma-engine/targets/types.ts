import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/** A database the engine executable works on: its adapter factory, and how to let go of it. */
export interface OpenedTarget {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}
