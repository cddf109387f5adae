const t0 = Date.now();
import { PrismaPg } from '@prisma/adapter-pg';
import { applyMigrations, pendingMigrations } from '..';
async function main() {
  console.log('imports', Date.now() - t0);
  const f = new PrismaPg({ connectionString: 'postgresql://postgres@127.0.0.1:5432/pe_time' });
  const o = { adapterFactory: f, migrationsDir: 'prisma/products/migrations', schemaPath: 'prisma/products/schema.prisma' };
  let t = Date.now();
  console.log(await pendingMigrations(o), Date.now() - t); t = Date.now();
  console.log(await applyMigrations(o), Date.now() - t); t = Date.now();
  console.log(await applyMigrations(o), Date.now() - t); t = Date.now();
  console.log(await pendingMigrations(o), Date.now() - t); t = Date.now();
}
main().then(() => console.log('total', Date.now() - t0));
