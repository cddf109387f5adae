/**
 * `npm run generate` (also run by `npm install`): for every subgraph in the registry
 * (lib/services.ts), its Prisma client (`prisma generate` with its own config, so the engine is
 * our WASM one and nothing is downloaded), then its resolver types (scripts/codegen.ts); then the
 * storefront's operation types and manifest (scripts/storefront.ts).
 * Stops at the first failure.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/paths';
import { SUBGRAPHS, subgraphFiles, type SubgraphEntry } from '../lib/services';
import type { generateResolverTypes as GenerateResolverTypes } from './codegen';

/** The `prisma generate` command lines, one per subgraph, run from the project root. */
export function prismaGenerateCommands(registry: readonly SubgraphEntry[] = SUBGRAPHS): string[][] {
  return registry.map(({ name }) => ['prisma', 'generate', '--config', subgraphFiles(name).prismaConfig]);
}

async function main(): Promise<void> {
  for (const [command, ...args] of prismaGenerateCommands()) {
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', command!), args, { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited with ${result.status ?? result.signal}`);
  }
  // graphql-codegen is loaded only here, so the plan above can be read without it (tests/unit/services.test.ts).
  const { generateResolverTypes } = (await import(path.join(__dirname, 'codegen.ts'))) as {
    generateResolverTypes: typeof GenerateResolverTypes;
  };
  for (const { name } of SUBGRAPHS) {
    process.stdout.write(`Wrote ${path.relative(PROJECT_ROOT, await generateResolverTypes(name))}\n`);
  }
  // The storefront's operation types and trusted documents manifest, from the composed supergraph.
  const { storefrontCodegen } = (await import(path.join(__dirname, 'storefront.ts'))) as typeof import('./storefront');
  const { operations } = await storefrontCodegen();
  process.stdout.write(`Wrote storefront/src/gql/ and its manifest (${operations} operations)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`generate failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
