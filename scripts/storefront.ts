/**
 * The storefront's tooling (storefront/):
 *   `npm run storefront`          its operation types and manifest, then Vite's dev server on :5173
 *   `npm run storefront:build`    the same, then storefront/dist/ (what the browser test serves)
 *   `tsx scripts/storefront.ts codegen`   only the types and the manifest (run by `npm run generate`)
 *
 * - Types: GraphQL Code Generator's client preset, from the API schema composed from
 *   router/supergraph.graphql (what clients can query), into storefront/src/gql/.
 * - Trusted documents: Apollo's persisted query manifest of every operation in storefront/src
 *   (@apollo/generate-persisted-query-manifest, with the `__typename`s Apollo Client adds), written
 *   to storefront/public/persisted-query-manifest.json: the router's TRUSTED_DOCUMENTS_MANIFEST, and
 *   what the app reads to send each operation by its id.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { generatePersistedQueryManifest } from '@apollo/generate-persisted-query-manifest';
import { printSchema } from 'graphql';
import { PROJECT_ROOT } from '../lib/paths';
import { SUPERGRAPH_FILE } from '../router/compose';
import { apiSchemaOf } from './schema-check';

export const STOREFRONT = path.join(PROJECT_ROOT, 'storefront');
export const MANIFEST_FILE = path.join(STOREFRONT, 'public', 'persisted-query-manifest.json');
const API_SCHEMA_FILE = path.join(STOREFRONT, 'src', 'gql', 'api-schema.graphql');
const DOCUMENTS = ['storefront/src/**/*.{ts,tsx}', '!storefront/src/gql/**'];

export async function storefrontCodegen(): Promise<{ operations: number; manifestBytes: number }> {
  fs.mkdirSync(path.dirname(API_SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(API_SCHEMA_FILE, printSchema(apiSchemaOf(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'))));
  const cwd = process.cwd();
  process.chdir(PROJECT_ROOT);
  try {
    await generate(
      {
        schema: path.relative(PROJECT_ROOT, API_SCHEMA_FILE),
        documents: DOCUMENTS,
        // Fragments unmasked: an operation's result type holds its fragments' fields (AuthFields).
        generates: {
          'storefront/src/gql/': {
            preset: 'client',
            presetConfig: { fragmentMasking: false },
            config: { useTypeImports: true, enumsAsTypes: true },
          },
        },
        silent: true,
      },
      true,
    );
    const manifest = await generatePersistedQueryManifest({ documents: DOCUMENTS }, undefined);
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    fs.mkdirSync(path.dirname(MANIFEST_FILE), { recursive: true });
    fs.writeFileSync(MANIFEST_FILE, text);
    return { operations: manifest.operations.length, manifestBytes: Buffer.byteLength(text) };
  } finally {
    process.chdir(cwd);
  }
}

function vite(command: 'build' | 'serve'): void {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), command, STOREFRONT], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    // React's production build for a build, whatever the caller's NODE_ENV (jest sets "test").
    env: { ...process.env, NODE_ENV: command === 'build' ? 'production' : 'development' },
  });
  if (result.status !== 0) throw new Error(`vite ${command} exited with ${result.status ?? result.signal}`);
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'dev';
  if (!['dev', 'build', 'codegen'].includes(command)) throw new Error(`unknown command "${command}": dev, build or codegen`);
  const { operations, manifestBytes } = await storefrontCodegen();
  process.stdout.write(
    `Wrote storefront/src/gql/ and ${path.relative(PROJECT_ROOT, MANIFEST_FILE)} (${operations} operations, ${manifestBytes} bytes)\n`,
  );
  if (command === 'build') vite('build');
  else if (command === 'dev') vite('serve');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`storefront: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
