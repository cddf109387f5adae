import { runService } from '../../lib/main';
import { loadOrdersConfig } from './config';
import { buildOrdersService } from './server';

runService(async () => {
  const config = loadOrdersConfig();
  return { definition: await buildOrdersService(config), port: config.port };
});
