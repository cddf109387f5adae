import { runService } from '../lib/main';
import { loadRouterConfig } from './config';
import { buildRouter } from './server';

runService(async () => {
  const config = loadRouterConfig();
  return { definition: buildRouter(config), port: config.port };
});
