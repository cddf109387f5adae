import fs from 'node:fs';
import { composeSupergraph, SUPERGRAPH_FILE } from '../../router/compose';

describe('supergraph composition', () => {
  const result = composeSupergraph();

  test('the three subgraphs compose without errors', () => {
    expect('errors' in result ? result.errors : []).toEqual([]);
  });

  test('router/supergraph.graphql is up to date (run "npm run compose" if this fails)', () => {
    expect('supergraphSdl' in result && result.supergraphSdl).toBe(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'));
  });

  test('every subgraph joins the supergraph and the contract types are there', () => {
    const sdl = 'supergraphSdl' in result ? result.supergraphSdl : '';
    for (const name of ['USERS', 'PRODUCTS', 'ORDERS']) expect(sdl).toContain(`${name} @join__graph(name: "${name.toLowerCase()}"`);
    for (const type of ['type User', 'type Product', 'type Order', 'type Money', 'enum OrderStatus', 'enum Role'])
      expect(sdl).toContain(type);
  });
});
