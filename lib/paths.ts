import path from 'node:path';

/**
 * True when this is the compiled build (`npm run build`: dist/lib/paths.js), false when run from
 * source through tsx or jest (lib/paths.ts).
 */
export const COMPILED = path.extname(__filename) === '.js';

/**
 * The repository root (the image's /app), whatever the working directory of the process and
 * whether the code runs from source or from dist/: the files read at run time (migrations,
 * router/supergraph.graphql) stay where they are in the source tree.
 */
export const PROJECT_ROOT = path.resolve(__dirname, COMPILED ? '../..' : '..');
