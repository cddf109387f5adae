import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { databaseUrlFor } from '../../lib/db/url';

// Prisma's CLI would download a native schema engine; ours runs the WASM engine it already ships.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve(__dirname, '../../tools/prisma-engine/bin/schema-engine');

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: {
    url: databaseUrlFor('users'),
    shadowDatabaseUrl: process.env.USERS_SHADOW_DATABASE_URL,
  },
});
