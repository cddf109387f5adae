import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { hardenAdapterFactory } from '../harden-adapter';
import { createSchemaEngine } from '../wasm-engine';
import { readMigrationList } from '../migrations-dir';
async function main() {
  const pglite = await PGlite.create();
  const h = hardenAdapterFactory(new PrismaPGlite(pglite));
  const engine = await createSchemaEngine(bindMigrationAwareSqlAdapterFactory(h.factory), undefined);
  const dir = '/tmp/pe-err'; fs.rmSync(dir, { recursive: true, force: true }); fs.mkdirSync(dir + '/1_bad', { recursive: true });
  fs.writeFileSync(dir + '/1_bad/migration.sql', 'ALTER TABLE nope ADD COLUMN y int;');
  for (let i = 0; i < 2; i++) try { await engine.applyMigrations({ migrationsList: readMigrationList(dir), filters: { externalTables: [], externalEnums: [] } }); } catch (e) { const x = e as Error; console.log('ERR name=', x.name, 'msg=', x.message.split('\n')[0], Object.getOwnPropertyNames(x)); }
}
main();
