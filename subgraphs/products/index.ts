import { runService } from '../../lib/main';
import { loadProductsConfig } from './config';
import { buildProductsService } from './server';

runService(async () => {
  const config = loadProductsConfig();
  return { definition: await buildProductsService(config), port: config.port };
});
