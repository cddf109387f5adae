import { runService } from '../../lib/main';
import { build } from './server';

runService(() => build());
