import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SERVICES, type ServiceName } from '../lib/services';

export type Target = 'pglite' | 'postgres';

/** The embedded default always; PostgreSQL too when TEST_DATABASE_URL names a server. */
export const TARGETS: Target[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabases {
  /** Environment that points each service at its own fresh database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh, empty database per service: PGlite dirs under a temp DATA_DIR, or new PostgreSQL databases. */
export async function createTestDatabases(target: Target): Promise<TestDatabases> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-test-'));
  if (target === 'pglite') {
    return { env: { DATA_DIR: dataDir }, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const server = process.env.TEST_DATABASE_URL!;
  const suffix = randomBytes(4).toString('hex');
  const names = Object.fromEntries(SERVICES.map((service) => [service, `test_${suffix}_${service}`])) as Record<ServiceName, string>;
  await onServer(server, async (client) => {
    for (const name of Object.values(names)) await client.query(`CREATE DATABASE "${name}"`);
  });
  const urlOf = (name: string) => {
    const url = new URL(server);
    url.pathname = `/${name}`;
    return url.href;
  };
  return {
    env: {
      DATA_DIR: dataDir,
      ...Object.fromEntries(SERVICES.map((service) => [`${service.toUpperCase()}_DATABASE_URL`, urlOf(names[service])])),
    },
    drop: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await onServer(server, async (client) => {
        for (const name of Object.values(names)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

async function onServer(url: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
