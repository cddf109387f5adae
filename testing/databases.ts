import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrationsDirOf, openDatabase } from '../lib/db/database';
import { databaseUrlFor, parseDatabaseUrl } from '../lib/db/url';
import { SERVICES, type ServiceName } from '../lib/services';

export type Target = 'pglite' | 'postgres';

/** The embedded default always; PostgreSQL too when TEST_DATABASE_URL names a server. */
export const TARGETS: Target[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabases {
  /** Environment that points each service at its own fresh database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A fresh database for each of `services` (by default all), its migrations already applied: PGlite
 * dirs under a temp DATA_DIR, or new PostgreSQL databases. Each is a copy of a template migrated once (per set of
 * migrations), because loading a blank PGlite cluster and migrating it took ~2.5 s a service,
 * most of every supergraph's start; copying a migrated dir and opening it takes a fraction.
 * The services still run their migration step at start-up, and find nothing pending.
 */
export async function createTestDatabases(target: Target, services: readonly ServiceName[] = SERVICES): Promise<TestDatabases> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-test-'));
  if (target === 'pglite') {
    const template = await pgliteTemplate();
    for (const service of services) fs.cpSync(pgliteDirOf(service, template), pgliteDirOf(service, dataDir), { recursive: true });
    return { env: { DATA_DIR: dataDir }, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const server = process.env.TEST_DATABASE_URL!;
  const templates = await postgresTemplates(server);
  const suffix = randomBytes(4).toString('hex');
  const names = Object.fromEntries(services.map((service) => [service, `test_${suffix}_${service}`])) as Partial<
    Record<ServiceName, string>
  >;
  await onServer(server, async (client) => {
    for (const service of services) await client.query(`CREATE DATABASE "${names[service]}" TEMPLATE "${templates[service]}"`);
  });
  return {
    env: {
      DATA_DIR: dataDir,
      ...Object.fromEntries(services.map((service) => [`${service.toUpperCase()}_DATABASE_URL`, databaseUrlOn(server, names[service]!)])),
    },
    drop: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await onServer(server, async (client) => {
        for (const name of Object.values(names)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

/**
 * A digest of what a migrated template depends on: every service's migrations and the PGlite
 * version. A template is named after it, so one made from other migrations is never used.
 */
function templateDigest(): string {
  const hash = createHash('sha256');
  const pgliteDir = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..');
  hash.update(fs.readFileSync(path.join(pgliteDir, 'package.json')));
  for (const service of SERVICES) {
    const dir = migrationsDirOf(service);
    const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    const relative = files.map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
    for (const file of relative) hash.update(`\0${service}/${file}\0`).update(fs.readFileSync(path.join(dir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

const pgliteDirOf = (service: ServiceName, dataDir: string): string => {
  const target = parseDatabaseUrl(databaseUrlFor(service, { DATA_DIR: dataDir }));
  if (target.kind !== 'pglite') throw new Error('expected an embedded database URL');
  return target.dir;
};

/** Runs every service's migrations on the database at `urlOf(service)`, through the services' own migration step. */
async function migrateAll(urlOf: (service: ServiceName) => string): Promise<void> {
  for (const service of SERVICES) {
    const database = await openDatabase(service, urlOf(service), { env: { NODE_ENV: 'test', EMBEDDED_DB_FSYNC: 'false' } });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
  }
}

/**
 * A DATA_DIR whose services' PGlite dirs are migrated, made once per digest in the temp dir and
 * then only copied. It is built under another name and renamed into place, so a worker that finds
 * it finds it whole; two workers building it at once both succeed and one copy is kept.
 */
async function pgliteTemplate(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'commerce-pglite-cache', `template-${templateDigest()}`);
  if (fs.existsSync(dir)) {
    const now = new Date();
    fs.utimesSync(dir, now, now); // in use: see removeStaleTemplates
    return dir;
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const building = fs.mkdtempSync(`${dir}.building-`);
  try {
    await migrateAll((service) => databaseUrlFor(service, { DATA_DIR: building }));
    // Only the clusters are the template: lock files and anything else a service left stay behind.
    const finished = fs.mkdtempSync(`${dir}.finished-`);
    for (const service of SERVICES) {
      fs.mkdirSync(path.dirname(pgliteDirOf(service, finished)));
      fs.renameSync(pgliteDirOf(service, building), pgliteDirOf(service, finished));
    }
    try {
      fs.renameSync(finished, dir);
    } catch (error) {
      if (!fs.existsSync(dir)) throw error;
    } finally {
      fs.rmSync(finished, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  removeStaleTemplates(path.dirname(dir));
  return dir;
}

/** Templates (~120 MB each, of other migrations by now) that no test has used for a day. */
function removeStaleTemplates(cache: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of fs.readdirSync(cache, { withFileTypes: true })) {
    const stale = entry.isDirectory() && entry.name.startsWith('template-') && fs.statSync(path.join(cache, entry.name)).mtimeMs < dayAgo;
    if (stale) fs.rmSync(path.join(cache, entry.name), { recursive: true, force: true });
  }
}

/** The URL of database `name` on the server `server` names (its user, password and options kept). */
export const databaseUrlOn = (server: string, name: string): string => {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.href;
};

/** Any fixed number: the advisory lock that serialises building templates on the server. */
const TEMPLATE_LOCK = 7_301_142;

/**
 * Per service, a migrated database on the server to clone with CREATE DATABASE ... TEMPLATE,
 * made once per digest. It does not accept connections once built: a connection to it would make
 * every clone fail, and nothing but cloning should read it.
 */
async function postgresTemplates(server: string): Promise<Record<ServiceName, string>> {
  const digest = templateDigest();
  const names = Object.fromEntries(SERVICES.map((service) => [service, `test_template_${digest}_${service}`])) as Record<
    ServiceName,
    string
  >;
  await onServer(server, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const existing = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
        Object.values(names),
      ]);
      if (existing.rowCount === SERVICES.length) return;
      const building = (service: ServiceName) => `${names[service]}_building`;
      for (const service of SERVICES) {
        await client.query(`DROP DATABASE IF EXISTS "${building(service)}" WITH (FORCE)`);
        await client.query(`DROP DATABASE IF EXISTS "${names[service]}" WITH (FORCE)`);
        await client.query(`CREATE DATABASE "${building(service)}"`);
      }
      await migrateAll((service) => databaseUrlOn(server, building(service)));
      for (const service of SERVICES) {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [building(service)]);
        await client.query(`ALTER DATABASE "${building(service)}" RENAME TO "${names[service]}"`);
        await client.query(`ALTER DATABASE "${names[service]}" WITH ALLOW_CONNECTIONS false`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  return names;
}

/** `work` on one connection to `url`, closed afterwards whatever happens. */
export async function onServer<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
