import path from 'node:path';

/** The repository root, whatever the working directory of the process. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
