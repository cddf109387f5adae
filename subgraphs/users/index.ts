import { runService } from '../../lib/main';
import { loadUsersConfig } from './config';
import { buildUsersService } from './server';

runService(async () => {
  const config = loadUsersConfig();
  return { definition: await buildUsersService(config), port: config.port };
});
