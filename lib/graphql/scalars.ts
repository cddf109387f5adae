import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** `DateTime`: an ISO-8601 string on the wire, a Date in resolvers. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    return parseIso(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseIso(ast.value);
  },
});

function parseIso(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return date;
}
