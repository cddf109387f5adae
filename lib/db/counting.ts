import type { SqlDriverAdapterFactory, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';

/** How many SQL statements a service has sent; tests and benchmarks read it to prove batching. */
export class StatementCounter {
  count = 0;
}

/** Wraps a Prisma driver adapter factory so every statement sent (in or out of a transaction) is counted. */
export function countStatements(inner: SqlDriverAdapterFactory, counter: StatementCounter): SqlDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => counting(await inner.connect(), counter),
  };
}

function counting<T extends SqlQueryable>(target: T, counter: StatementCounter): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (property === 'queryRaw' || property === 'executeRaw') {
        return (query: SqlQuery) => {
          counter.count++;
          return value.call(object, query);
        };
      }
      if (property === 'startTransaction') {
        return async (...args: unknown[]) => counting(await value.apply(object, args), counter);
      }
      return value.bind(object);
    },
  });
}
