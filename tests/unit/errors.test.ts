import fs from 'node:fs';
import path from 'node:path';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { badInput, clientError, defineErrorCodes, ErrorCode, maskInternalErrors, type MaskOptions } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/log';
import { ordersErrors } from '../../subgraphs/orders/errors';
import { productsErrors } from '../../subgraphs/products/errors';
import { usersErrors } from '../../subgraphs/users/errors';

const INTERNAL = { code: 'INTERNAL_SERVER_ERROR' };

/** A formatError as lib/server.ts builds it, with a log that remembers what it was told. */
function formatter(options: MaskOptions = {}) {
  const logged: unknown[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (_message, fields) => logged.push(fields) };
  const mask = maskInternalErrors(log, options);
  /** Formats `error` as Apollo would hand it over: thrown in a resolver at `path`. */
  const format = (error: Error, path: string[] = ['field']): GraphQLFormattedError => {
    const located = new GraphQLError(error.message, { originalError: error, path });
    return mask({ message: located.message, path, extensions: { ...located.extensions, stacktrace: ['at x'] } }, located);
  };
  return { mask, format, logged };
}

describe('defineErrorCodes', () => {
  test('an error carries its code, its details and the HTTP status declared for it', () => {
    const errors = defineErrorCodes({ TEAPOT: { status: 418 }, PLAIN: {} });
    expect(errors.code).toEqual({ TEAPOT: 'TEAPOT', PLAIN: 'PLAIN' });
    expect(errors.error('TEAPOT', 'Short and stout.', { spout: 1 }).extensions).toEqual({
      code: 'TEAPOT',
      spout: 1,
      http: { status: 418 },
    });
    expect(errors.error('PLAIN', 'No status.').extensions).toEqual({ code: 'PLAIN' });
  });

  test("lib keeps only the shared codes; each subgraph's domain codes are its own", () => {
    expect(Object.keys(ErrorCode).sort()).toEqual(
      [
        'BAD_USER_INPUT',
        'FORBIDDEN',
        'NOT_FOUND',
        'QUERY_TOO_COMPLEX',
        'RATE_LIMITED',
        'SERVICE_UNAVAILABLE',
        'SUBGRAPH_UNAVAILABLE',
        'UNAUTHENTICATED',
      ].sort(),
    );
    expect(Object.keys(usersErrors.code)).toEqual(['EMAIL_TAKEN', 'INVALID_CREDENTIALS']);
    expect(Object.keys(productsErrors.code)).toEqual(['SKU_TAKEN']);
    expect(Object.keys(ordersErrors.code)).toEqual(['INSUFFICIENT_STOCK', 'IDEMPOTENCY_KEY_REUSED', 'ORDER_NOT_CANCELLABLE']);
    expect(clientError(ErrorCode.RATE_LIMITED, 'Slow down.', { retryAfterSeconds: 3 }).extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 3,
      http: { status: 429 },
    });
  });
});

describe('a subgraph masks every code it did not register', () => {
  test("its own codes and lib's pass with their message and details, without a stack trace", () => {
    const users = formatter({ codes: usersErrors });
    expect(users.format(usersErrors.error('EMAIL_TAKEN', 'An account with a@b.c already exists: sign in instead.'))).toEqual({
      message: 'An account with a@b.c already exists: sign in instead.',
      path: ['field'],
      extensions: { code: 'EMAIL_TAKEN' },
    });
    expect(users.format(badInput('"first" must be between 0 and 100, got 101.', 'first')).extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
    expect(users.format(clientError(ErrorCode.UNAUTHENTICATED, 'Sign in first.')).extensions).toEqual({
      code: 'UNAUTHENTICATED',
      http: { status: 401 },
    });
    expect(users.logged).toHaveLength(0);
  });

  test("another subgraph's code, or a made-up one, is INTERNAL_SERVER_ERROR and logged in full", () => {
    const users = formatter({ codes: usersErrors });
    const stray = users.format(ordersErrors.error('INSUFFICIENT_STOCK', 'Not enough stock of product p_1: 0 left.', { productId: 'p_1' }));
    expect(stray).toEqual({ message: expect.stringMatching(/^Internal server error/), path: ['field'], extensions: INTERNAL });
    expect(JSON.stringify(stray)).not.toMatch(/p_1|stock/);
    expect(users.format(new GraphQLError('Made up.', { extensions: { code: 'SOMETHING_ELSE' } })).extensions).toEqual(INTERNAL);
    expect(users.logged).toHaveLength(2);
    // The same error is shown by the subgraph that registered the code.
    expect(formatter({ codes: ordersErrors }).format(ordersErrors.error('INSUFFICIENT_STOCK', 'Not enough.')).extensions).toEqual({
      code: 'INSUFFICIENT_STOCK',
    });
  });

  test('a database error is masked with no SQL, and a non-GraphQL error cannot borrow a client code', () => {
    const products = formatter({ codes: productsErrors });
    const prismaError = Object.assign(new Error('Invalid `prisma.product.create()`: SELECT "sku" FROM products'), { code: 'P2010' });
    const masked = products.format(prismaError);
    expect(masked.extensions).toEqual(INTERNAL);
    expect(JSON.stringify(masked)).not.toMatch(/SELECT|prisma/);
    const sneaky = Object.assign(new Error('boom'), { extensions: { code: 'SKU_TAKEN' } });
    const located = new GraphQLError('boom', { originalError: sneaky, path: ['createProduct'] });
    expect(products.mask({ message: 'boom', path: ['createProduct'], extensions: { code: 'SKU_TAKEN' } }, located).extensions).toEqual(
      INTERNAL,
    );
  });

  test("a subgraph does not take an error for a subgraph's answer, however it is shaped", () => {
    const users = formatter({ codes: usersErrors });
    const lookalike = new GraphQLError('Not enough.', {
      // What the gateway builds: the subgraph's plain JSON error, passed as `originalError` (the gateway casts it too).
      originalError: { message: 'Not enough.', extensions: { code: 'INSUFFICIENT_STOCK' } } as unknown as Error,
      extensions: { code: 'INSUFFICIENT_STOCK', serviceName: 'orders' },
    });
    expect(users.mask({ message: 'Not enough.', extensions: { ...lookalike.extensions } }, lookalike).extensions).toEqual(INTERNAL);
  });
});

/**
 * The router, through a real Apollo Gateway on the committed supergraph; each subgraph is a data
 * source in this process answering what the test says, so no server or database is started.
 */
describe('the router shows what subgraphs answered and masks its own internal errors', () => {
  type Answer = () => Promise<{ data?: Record<string, unknown> | null; errors?: unknown[] }>;
  let answer: Answer = async () => ({ data: { me: null } });
  const router = formatter({ subgraphAnswers: true });
  let server: ApolloServer;

  beforeAll(async () => {
    const gateway = new ApolloGateway({
      supergraphSdl: fs.readFileSync(path.join(__dirname, '../../router/supergraph.graphql'), 'utf8'),
      buildService: (): GraphQLDataSource => ({ process: () => answer() as ReturnType<GraphQLDataSource['process']> }),
    });
    server = new ApolloServer({ gateway, formatError: router.mask, includeStacktraceInErrorResponses: false });
    await server.start();
  });
  afterAll(() => server?.stop());

  const ask = async (next: Answer) => {
    answer = next;
    const response = await server.executeOperation({ query: '{ me { id } }' });
    return response.body.kind === 'single' ? response.body.singleResult : { errors: undefined };
  };

  test("a subgraph's own code passes unchanged, though the router has never heard of it", async () => {
    const result = await ask(async () => ({
      data: { me: null },
      errors: [
        { message: 'Not enough stock of product p_9: 2 left.', path: ['me'], extensions: { code: 'NEW_DOMAIN_CODE', productId: 'p_9' } },
      ],
    }));
    expect(result).toHaveErrorCode('NEW_DOMAIN_CODE', ['me']);
    expect(result.errors![0]).toMatchObject({
      message: 'Not enough stock of product p_9: 2 left.',
      extensions: { code: 'NEW_DOMAIN_CODE', productId: 'p_9', serviceName: 'users' },
    });
    const rateLimited = await ask(async () => ({
      data: { me: null },
      errors: [{ message: 'Too many attempts.', path: ['me'], extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 7 } }],
    }));
    expect(rateLimited.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 7 });
  });

  test("a subgraph's INTERNAL_SERVER_ERROR, or an error it sent without a code, stays masked", async () => {
    const internal = await ask(async () => ({
      data: { me: null },
      errors: [{ message: 'Internal server error. It has been logged; try again later.', path: ['me'], extensions: INTERNAL }],
    }));
    expect(internal.errors![0]).toMatchObject({
      message: expect.stringMatching(/^Internal server error/),
      path: ['me'],
      extensions: INTERNAL,
    });
    const uncoded = await ask(async () => ({ data: { me: null }, errors: [{ message: 'relation "users" does not exist', path: ['me'] }] }));
    expect(uncoded.errors![0]!.extensions).toEqual(INTERNAL);
    expect(JSON.stringify(uncoded)).not.toMatch(/relation/);
  });

  test("an error thrown in the router is masked, even one carrying a subgraph's code", async () => {
    const bug = await ask(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'headers')");
    });
    expect(bug).toHaveErrorCode('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(bug)).not.toMatch(/headers/);
    const borrowed = await ask(async () => {
      throw ordersErrors.error('INSUFFICIENT_STOCK', 'Thrown by router code, not answered by a subgraph.');
    });
    expect(borrowed).toHaveErrorCode('INTERNAL_SERVER_ERROR');
    expect(borrowed).not.toHaveErrorCode('INSUFFICIENT_STOCK');
  });

  test("the router's own shared codes still pass (SUBGRAPH_UNAVAILABLE)", async () => {
    const down = await ask(async () => {
      throw clientError(ErrorCode.SUBGRAPH_UNAVAILABLE, 'The users service is unavailable (unreachable); its fields are null.', {
        service: 'users',
      });
    });
    expect(down).toHaveErrorCode('SUBGRAPH_UNAVAILABLE');
    expect(down.errors![0]!.extensions).toMatchObject({ service: 'users' });
  });
});

describe("Apollo's own refusals of a request keep a client code", () => {
  const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', formatError: formatter().mask });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const refusal = async (extensions: Record<string, unknown>, query?: string) => {
    const { body, http } = await server.executeOperation({ query, extensions } as Parameters<typeof server.executeOperation>[0]);
    return { status: http.status, error: body.kind === 'single' ? body.singleResult.errors?.[0] : undefined };
  };

  test('a persisted query whose document does not match its hash is BAD_REQUEST, with its message', async () => {
    const { status, error } = await refusal({ persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } }, '{ hello }');
    expect(status).toBe(400);
    expect(error).toMatchObject({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
  });

  test('an unsupported persisted query version is BAD_REQUEST', async () => {
    const { error } = await refusal({ persistedQuery: { version: 2, sha256Hash: '0'.repeat(64) } }, '{ hello }');
    expect(error).toMatchObject({ message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } });
  });
});
