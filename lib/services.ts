import path from 'node:path';
import { PROJECT_ROOT } from './paths';

/**
 * The registry: every process of the supergraph, in one place. `npm run generate`, `npm start`,
 * `npm run compose`, `npm run db:deploy`, the router's and each service's config, and the test
 * harness all read it. Adding a subgraph is its folder under subgraphs/, its folder under prisma/
 * and one entry here (CONTRIBUTING.md, "Adding a subgraph").
 *
 * Everything else about a subgraph follows from its name, by the layout every subgraph shares
 * (see `subgraphFiles`), so an entry holds only what cannot be derived.
 */
export interface SubgraphEntry {
  /** Its folder under subgraphs/ and prisma/, its name in the supergraph, and the prefix of its variables (`USERS_PORT`). */
  readonly name: string;
  /** Where it listens unless `<NAME>_PORT` says otherwise. */
  readonly defaultPort: number;
}

/** The subgraphs, in the order they start and compose. */
export const SUBGRAPHS = [
  { name: 'users', defaultPort: 4001 },
  { name: 'products', defaultPort: 4002 },
  { name: 'orders', defaultPort: 4003 },
] as const satisfies readonly SubgraphEntry[];

export type ServiceName = (typeof SUBGRAPHS)[number]['name'];
export const SERVICES: readonly ServiceName[] = SUBGRAPHS.map((entry) => entry.name);

/** The router: the one process that is not a subgraph. */
export const ROUTER = { name: 'router', defaultPort: 4000, entry: 'router/index.ts' } as const;

/** The files a subgraph has by convention, relative to the project root. */
export interface SubgraphFiles {
  /** Its entry point: `npm start` and `npm run start:<name>` run it (`runService` of lib/main.ts). */
  entry: string;
  /** Exports `build(env)`, which the entry and the test harness both call. */
  server: string;
  /** Its SDL, composed by `npm run compose` and turned into resolver types by `npm run generate`. */
  schema: string;
  /** Its Prisma config (the CLI's `--config`), next to `schema.prisma` and `migrations/`. */
  prismaConfig: string;
  prismaSchema: string;
  migrations: string;
  /** Build output of `npm run generate`: the Prisma client (`generated/prisma`) and resolver types (`generated/graphql.ts`). */
  generated: string;
}

export function subgraphFiles(name: string): SubgraphFiles {
  return {
    entry: `subgraphs/${name}/index.ts`,
    server: `subgraphs/${name}/server.ts`,
    schema: `subgraphs/${name}/schema.graphql`,
    prismaConfig: `prisma/${name}/prisma.config.ts`,
    prismaSchema: `prisma/${name}/schema.prisma`,
    migrations: `prisma/${name}/migrations`,
    generated: `subgraphs/${name}/generated`,
  };
}

/** `subgraphFiles(name)[file]` as an absolute path. */
export function subgraphPath(name: string, file: keyof SubgraphFiles): string {
  return path.join(PROJECT_ROOT, subgraphFiles(name)[file]);
}

/** The variable that overrides where a service listens: `USERS_PORT`, `ROUTER_PORT`. */
export const portVariable = (name: string): string => `${name.toUpperCase()}_PORT`;

export function defaultPortOf(name: string, registry: readonly SubgraphEntry[] = SUBGRAPHS): number {
  if (name === ROUTER.name) return ROUTER.defaultPort;
  const entry = registry.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`"${name}" is not in the service registry (lib/services.ts)`);
  return entry.defaultPort;
}
