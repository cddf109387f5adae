/**
 * MIGRATE_ON_START=false, as docker-compose.yml and deploy/k8s run the subgraphs: the service
 * starts on an unmigrated database without migrating it, /ready answers 503 naming the pending
 * migrations, and once the migrate job (db-deploy.js: the same runner) has applied them it is ready.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listMigrationNames } from '../../lib/db/migrations';
import { startService } from '../../lib/server';
import { subgraphPath } from '../../lib/services';
import { build } from '../../subgraphs/products/server';

test('with MIGRATE_ON_START=false a subgraph starts unmigrated and is ready only once its migrations are applied', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-migrate-on-start-'));
  const { definition } = await build({ DATA_DIR: dataDir, MIGRATE_ON_START: 'false', PRODUCTS_PORT: '0', METRICS_PORT: '' });
  const running = await startService(definition, { port: 0 });
  try {
    const ready = async () => {
      const response = await fetch(`http://localhost:${running.port}/ready`);
      return { status: response.status, body: (await response.json()) as { reason?: string } };
    };
    const pending = listMigrationNames(subgraphPath('products', 'migrations'));
    expect(pending.length).toBeGreaterThan(0);
    expect(await ready()).toEqual({
      status: 503,
      body: { status: 'not ready', service: 'products', reason: `migrations not applied: ${pending.join(', ')}` },
    });

    // The migrate job's part, on the service's own (locked) embedded database.
    expect(await definition.database.migrate()).toEqual(pending);
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', service: 'products' } });
  } finally {
    await running.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
