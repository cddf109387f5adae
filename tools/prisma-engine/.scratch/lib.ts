import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import { applyMigrations, pendingMigrations } from '..';
async function main() {
  const dir = '/tmp/pe-lib';
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync('prisma/products/migrations', dir + '/migrations', { recursive: true });
  let t = Date.now();
  const pglite = await PGlite.create(dir + '/pgdata');
  console.log('create', Date.now() - t); t = Date.now();
  const f = new PrismaPGlite(pglite);
  console.log(await pendingMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations' }), Date.now() - t); t = Date.now();
  console.log(await applyMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations', schemaPath: 'prisma/products/schema.prisma' }), Date.now() - t); t = Date.now();
  console.log(await pendingMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations' }));
  console.log(await applyMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations', schemaPath: 'prisma/products/schema.prisma' }), Date.now() - t); t = Date.now();
  fs.mkdirSync(dir + '/migrations/20990101000000_bad');
  fs.writeFileSync(dir + '/migrations/20990101000000_bad/migration.sql', 'CREATE TABLE x (id int);\nALTER TABLE nope ADD COLUMN y int;');
  try { await applyMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations', schemaPath: 'prisma/products/schema.prisma' }); } catch (e) { console.log('ERR', e); }
  console.log(await pendingMigrations({ adapterFactory: f, migrationsDir: dir + '/migrations' }));
  console.log((await pglite.query("select to_regclass('x') as x")).rows);
  await pglite.close();
  console.log('rss', process.memoryUsage().rss / 1e6);
  // pg
  const pgf = new PrismaPg({ connectionString: 'postgresql://postgres@127.0.0.1:5432/pe_lib' });
  const { Client } = await import('pg');
  const c = new Client('postgresql://postgres@127.0.0.1:5432/postgres'); await c.connect(); await c.query('drop database if exists pe_lib'); await c.query('create database pe_lib');
  fs.rmSync(dir + '/migrations/20990101000000_bad', { recursive: true });
  console.log(await applyMigrations({ adapterFactory: pgf, migrationsDir: dir + '/migrations', schemaPath: 'prisma/products/schema.prisma' }));
  console.log(await pendingMigrations({ adapterFactory: pgf, migrationsDir: dir + '/migrations' }));
  await c.query('drop database pe_lib'); await c.end();
}
main().catch((e) => console.error('FAIL', e));
