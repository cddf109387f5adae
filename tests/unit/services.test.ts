/**
 * The service registry (lib/services.ts) is the one list every tool reads. A throwaway fourth
 * subgraph, `reviews`, added to a copy of it must reach every one of them with nothing else
 * changed: that is the promise "one folder, one Prisma folder, one registry entry".
 */
import fs from 'node:fs';
import { parse } from 'graphql';
import { loadServiceConfig, subgraphUrl } from '../../lib/config';
import { databaseUrlFor } from '../../lib/db/url';
import { SUBGRAPHS, subgraphFiles, subgraphPath, type SubgraphEntry } from '../../lib/services';
import { composeSupergraph } from '../../router/compose';
import { loadRouterConfig } from '../../router/config';
import { typeMappers } from '../../scripts/type-mappers';
import { deployPlan } from '../../scripts/deploy-plan';
import { prismaGenerateCommands } from '../../scripts/generate';
import { launchPlan } from '../../scripts/start';

const REVIEWS: SubgraphEntry = { name: 'reviews', defaultPort: 4004 };
const registry = [...SUBGRAPHS, REVIEWS];

const REVIEWS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Review @key(fields: "id") {
    id: ID!
    stars: Int!
    product: Product!
  }

  type Product @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }
`;

test('npm start launches the new subgraph from its index.ts on its default port, before the router', () => {
  const plan = launchPlan([], {}, registry);
  expect(plan.map(({ name }) => name)).toEqual(['users', 'products', 'orders', 'reviews', 'router']);
  expect(plan.find(({ name }) => name === 'reviews')).toEqual({ name: 'reviews', entry: 'subgraphs/reviews/index.ts', port: 4004 });
  expect(launchPlan(['reviews'], { REVIEWS_PORT: '5004' }, registry)).toEqual([
    { name: 'reviews', entry: 'subgraphs/reviews/index.ts', port: 5004 },
  ]);
});

test('npm start refuses a name that is not in the registry, listing the ones that are', () => {
  expect(() => launchPlan(['reveiws'], {}, registry)).toThrow(
    'Unknown service reveiws: choose from users, products, orders, reviews, router',
  );
});

test('npm run generate and npm run db:deploy use the new Prisma folder', () => {
  expect(prismaGenerateCommands(registry).at(-1)).toEqual(['prisma', 'generate', '--config', 'prisma/reviews/prisma.config.ts']);
  expect(deployPlan([], registry).at(-1)).toEqual({ name: 'reviews', migrations: 'prisma/reviews/migrations' });
  expect(deployPlan(['reviews'], registry)).toEqual([{ name: 'reviews', migrations: 'prisma/reviews/migrations' }]);
  expect(() => deployPlan(['reveiws'], registry)).toThrow('Unknown subgraph reveiws: choose from users, products, orders, reviews');
  expect(subgraphFiles('reviews')).toMatchObject({ migrations: 'prisma/reviews/migrations', generated: 'subgraphs/reviews/generated' });
});

test('npm run compose composes the new subgraph into the supergraph at its default URL', () => {
  const result = composeSupergraph(registry, (name) =>
    name === 'reviews' ? REVIEWS_SDL : fs.readFileSync(subgraphPath(name, 'schema'), 'utf8'),
  );
  if ('errors' in result) throw new Error(result.errors.join('\n'));
  expect(result.supergraphSdl).toContain('REVIEWS @join__graph(name: "reviews", url: "http://localhost:4004/graphql")');
  expect(result.supergraphSdl).toMatch(/type Review\s[^{]*@join__type\(graph: REVIEWS/);
});

test('the router and the services find the new subgraph by its variables', () => {
  expect(loadRouterConfig({}, registry).subgraphUrls).toEqual({});
  expect(loadRouterConfig({ REVIEWS_PORT: '5004' }, registry).subgraphUrls.reviews?.href).toBe('http://localhost:5004/graphql');
  expect(subgraphUrl({}, 'reviews', registry).href).toBe('http://localhost:4004/graphql');
  expect(databaseUrlFor('reviews', { REVIEWS_DATABASE_URL: 'postgresql://db/reviews' })).toBe('postgresql://db/reviews');
  expect(databaseUrlFor('reviews', { DATA_DIR: '/tmp/x' })).toBe('pglite:/tmp/x/reviews/pgdata');
});

test('every registered subgraph has a distinct name and port, and no one takes the router port', () => {
  const ports = [4000, ...SUBGRAPHS.map(({ defaultPort }) => defaultPort)];
  expect(new Set(ports).size).toBe(ports.length);
  expect(loadServiceConfig('orders', {}).port).toBe(4003);
});

describe('resolver type mappers follow the Prisma models, so no subgraph lists them', () => {
  const prisma = 'model Review {\n  id String @id\n}\n';

  test('a type named like a model maps to the model; an entity kept elsewhere maps to its key fields', () => {
    expect(typeMappers(parse(REVIEWS_SDL), prisma)).toEqual({
      Review: './prisma/client#Review as ReviewModel',
      Product: '{ id: string }',
    });
  });

  test('a nested key cannot be mapped and says what to do', () => {
    const sdl = parse('type Variant @key(fields: "product { id } size") { size: String! }');
    expect(() => typeMappers(sdl, '')).toThrow('Variant @key(fields: "product { id } size"): only flat keys can be mapped');
  });
});
