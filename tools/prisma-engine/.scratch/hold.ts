import { lockDataDir } from '../../../lib/db/lock';
lockDataDir(process.argv[2]!, 'users service');
setTimeout(() => {}, 60000);
