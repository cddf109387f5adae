import fs from 'node:fs';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { openTarget } from '../targets';
import { hardenAdapterFactory } from '../harden-adapter';
import { createSchemaEngine } from '../wasm-engine';
process.on('uncaughtException', (e) => { console.error('UNCAUGHT', e, globalThis.PRISMA_WASM_PANIC_REGISTRY?.get()); process.exit(1); });
async function main() {
  const t = openTarget('pglite:/tmp/pe-y');
  const h = hardenAdapterFactory(t.factory);
  const dm = process.argv[2] === 'nodm' ? undefined : [];
  const engine = await createSchemaEngine(bindMigrationAwareSqlAdapterFactory(h.factory), dm as never, (l) => console.error('LOG', l));
  const content = fs.readFileSync('prisma/users/schema.prisma', 'utf8');
  const r = await engine.diff({ from: { tag: 'empty' }, to: { tag: 'schemaDatamodel', files: [{ path: 'x.prisma', content }] }, script: true, exitCode: null, filters: { externalTables: [], externalEnums: [] } });
  console.log(r);
  await h.disposeAll(); await t.close();
}
main().catch((e) => { console.error('ERR', e); });
