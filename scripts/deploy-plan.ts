import { ConfigError } from '../lib/config';
import { SUBGRAPHS, subgraphFiles, type SubgraphEntry } from '../lib/services';

// Apart from scripts/db-deploy.ts, which opens databases, so the unit tier can test it.
/** The subgraphs to migrate, in registry order: those named, or every one; an unknown name is refused. */
export function deployPlan(
  names: readonly string[] = [],
  registry: readonly SubgraphEntry[] = SUBGRAPHS,
): { name: string; migrations: string }[] {
  const unknown = names.filter((name) => !registry.some((entry) => entry.name === name));
  if (unknown.length > 0)
    throw new ConfigError(`Unknown subgraph ${unknown.join(', ')}: choose from ${registry.map(({ name }) => name).join(', ')}`);
  return registry
    .filter(({ name }) => names.length === 0 || names.includes(name))
    .map(({ name }) => ({ name, migrations: subgraphFiles(name).migrations }));
}
