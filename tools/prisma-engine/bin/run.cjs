// The entry bin/schema-engine starts, with esbuild-register's TypeScript hook loaded: Node would
// hand a `.ts` entry to its ES module loader, which no CommonJS hook reaches.
require('../main.ts');
