import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { PROJECT_ROOT } from '../lib/paths';
import { SUBGRAPHS, subgraphPath, type SubgraphEntry } from '../lib/services';

export const SUPERGRAPH_FILE = path.join(PROJECT_ROOT, 'router', 'supergraph.graphql');

/**
 * Composes every registered subgraph's SDL (lib/services.ts) into a supergraph with
 * @apollo/composition (what rover does, without its binary download). The URLs are the local
 * defaults; the router replaces them with `<NAME>_URL` or `<NAME>_PORT` at run time.
 */
export function composeSupergraph(
  registry: readonly SubgraphEntry[] = SUBGRAPHS,
  readSdl: (name: string) => string = (name) => fs.readFileSync(subgraphPath(name, 'schema'), 'utf8'),
): { supergraphSdl: string } | { errors: string[] } {
  const result = composeServices(
    registry.map(({ name, defaultPort }) => ({
      name,
      url: `http://localhost:${defaultPort}/graphql`,
      typeDefs: parse(readSdl(name)),
    })),
  );
  if (result.errors) return { errors: result.errors.map((error) => error.message) };
  return { supergraphSdl: result.supergraphSdl };
}

if (require.main === module) {
  const result = composeSupergraph();
  if ('errors' in result) {
    process.stderr.write(`Composition failed:\n${result.errors.map((message) => `- ${message}`).join('\n')}\n`);
    process.exit(1);
  }
  fs.writeFileSync(SUPERGRAPH_FILE, result.supergraphSdl);
  process.stdout.write(`Wrote ${path.relative(process.cwd(), SUPERGRAPH_FILE)}\n`);
}
