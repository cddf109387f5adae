import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { DEFAULT_PORTS } from '../lib/config';
import { SERVICES } from '../lib/db/url';
import { PROJECT_ROOT } from '../lib/paths';

export const SUPERGRAPH_FILE = path.join(PROJECT_ROOT, 'router', 'supergraph.graphql');

/**
 * Composes the three subgraph SDL files into a supergraph with @apollo/composition (what rover
 * does, without its binary download). The URLs are the local defaults; the router replaces them
 * with USERS_URL, PRODUCTS_URL and ORDERS_URL at run time.
 */
export function composeSupergraph(): { supergraphSdl: string } | { errors: string[] } {
  const result = composeServices(
    SERVICES.map((name) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(fs.readFileSync(path.join(PROJECT_ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8')),
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
