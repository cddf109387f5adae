/**
 * `npm run build`: compiles what production runs to dist/ with tsc (tsconfig.build.json), in the
 * source layout, so `node dist/router/index.js` and `node dist/subgraphs/<name>/index.js` start
 * the services with no TypeScript at run time. Run `npm run generate` first (npm install does):
 * the generated Prisma clients are TypeScript and are compiled with the rest.
 *
 * Each subgraph reads its schema.graphql beside its code (lib/subgraph.ts), so those are copied
 * next to the compiled files. Everything else read at run time is found from the repository root
 * (lib/paths.ts): the runtime image keeps `runtimeFiles()` where they are in the source tree.
 *
 * `npm run build -- --out <dir>` then assembles the runtime tree in <dir>: dist/, those files and
 * package.json with its lock, everything the Dockerfile's runtime stage holds except
 * node_modules (`npm ci --omit=dev --ignore-scripts` there). The Dockerfile runs exactly this, so
 * the same steps in a temp dir reproduce the image's /app without a Docker engine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/paths';
import { ROUTER, SUBGRAPHS, subgraphFiles, type SubgraphEntry } from '../lib/services';

export const DIST = 'dist';

/** The compiled entry points, relative to the project root: what each container's command runs. */
export function compiledEntries(registry: readonly SubgraphEntry[] = SUBGRAPHS): Record<string, string> {
  const toJs = (entry: string): string => path.posix.join(DIST, entry.replace(/\.ts$/, '.js'));
  return {
    ...Object.fromEntries(registry.map(({ name }) => [name, toJs(subgraphFiles(name).entry)])),
    [ROUTER.name]: toJs(ROUTER.entry),
    migrate: toJs('scripts/db-deploy.ts'),
  };
}

/** Files the compiled code reads from the source tree (not from dist/), relative to the project root. */
export function runtimeFiles(registry: readonly SubgraphEntry[] = SUBGRAPHS): string[] {
  return [
    'router/supergraph.graphql',
    ...registry.flatMap(({ name }) => [subgraphFiles(name).prismaSchema, subgraphFiles(name).migrations]),
  ];
}

/** What the runtime tree holds besides node_modules, relative to the project root. */
export function runtimeTree(registry: readonly SubgraphEntry[] = SUBGRAPHS): string[] {
  return ['package.json', 'package-lock.json', DIST, ...runtimeFiles(registry)];
}

/** [from, to] pairs copied into dist/: each subgraph's SDL, next to its compiled server. */
export function assetCopies(registry: readonly SubgraphEntry[] = SUBGRAPHS): [string, string][] {
  return registry.map(({ name }) => {
    const schema = subgraphFiles(name).schema;
    return [schema, path.posix.join(DIST, schema)];
  });
}

function assembleRuntimeTree(out: string): void {
  fs.rmSync(out, { recursive: true, force: true });
  for (const file of runtimeTree()) fs.cpSync(path.join(PROJECT_ROOT, file), path.join(out, file), { recursive: true });
  process.stdout.write(`Runtime tree in ${out}: next, npm ci --omit=dev --ignore-scripts there\n`);
}

function main(args: string[]): void {
  const dist = path.join(PROJECT_ROOT, DIST);
  fs.rmSync(dist, { recursive: true, force: true }); // no compiled leftovers of deleted sources
  const tsc = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json exited with ${result.status ?? result.signal}`);
  for (const [from, to] of assetCopies()) fs.copyFileSync(path.join(PROJECT_ROOT, from), path.join(PROJECT_ROOT, to));
  const missing = [...Object.values(compiledEntries()), ...runtimeFiles()].filter((file) => !fs.existsSync(path.join(PROJECT_ROOT, file)));
  if (missing.length > 0) throw new Error(`build incomplete, missing: ${missing.join(', ')}`);
  process.stdout.write(`Built ${DIST}/: ${Object.values(compiledEntries()).join(', ')}\n`);
  const outAt = args.indexOf('--out');
  if (outAt >= 0) {
    const out = args[outAt + 1];
    if (!out) throw new Error('--out needs a directory');
    assembleRuntimeTree(path.resolve(out));
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`build failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
