import { Kind, type DocumentNode, type StringValueNode } from 'graphql';

/**
 * Which model backs each GraphQL object type, by convention, so no subgraph lists them:
 * - a type named like a model in the service's schema.prisma is that model (`Order` → `OrderModel`);
 * - an entity the subgraph does not store (`@key` but no model: `User` in orders) is its key
 *   fields, which is all a reference carries (`{ id: string }`).
 * Other types (connections, payloads) are built by the resolvers as their GraphQL shape.
 */
export function typeMappers(schema: DocumentNode, prismaSchema: string): Record<string, string> {
  const models = new Set([...prismaSchema.matchAll(/^model\s+(\w+)\s*\{/gm)].map((match) => match[1]!));
  const mappers: Record<string, string> = {};
  for (const definition of schema.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const name = definition.name.value;
    if (models.has(name)) {
      mappers[name] = `./prisma/client#${name} as ${name}Model`;
      continue;
    }
    const key = definition.directives?.find((directive) => directive.name.value === 'key');
    if (!key) continue;
    const fields = (key.arguments?.find((argument) => argument.name.value === 'fields')?.value as StringValueNode | undefined)?.value ?? '';
    if (!/^\w+(\s+\w+)*$/.test(fields.trim())) {
      throw new Error(`${name} @key(fields: "${fields}"): only flat keys can be mapped; add a model for ${name} or flatten its key`);
    }
    mappers[name] = `{ ${fields
      .trim()
      .split(/\s+/)
      .map((field) => `${field}: string`)
      .join('; ')} }`;
  }
  return mappers;
}
