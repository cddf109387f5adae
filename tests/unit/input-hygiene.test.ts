import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLScalarType } from 'graphql';
import { maskInternalErrors } from '../../lib/graphql/errors';
import { inputHygienePlugin } from '../../lib/graphql/input-hygiene';
import type { Logger } from '../../lib/log';

// Unit tests of the plugin on a standalone server; tests/integration/input-hygiene-e2e.test.ts runs it in the supergraph.

const typeDefs = /* GraphQL */ `
  scalar Any
  directive @tag(label: String) on FIELD | FRAGMENT_SPREAD
  input Line {
    name: String
    tags: [String!]
  }
  input Filter {
    lines: [Line!]
    note: String
  }
  type Query {
    echo(text: String, filter: Filter, id: ID): String
    any(value: Any): String
    nested: Query
  }
`;

function setup() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
  const calls: unknown[] = [];
  const server = new ApolloServer({
    typeDefs,
    resolvers: {
      Any: new GraphQLScalarType({ name: 'Any', parseValue: (value) => value }),
      Query: {
        echo: (_: unknown, args: Record<string, unknown>) => (calls.push(args), JSON.stringify(args)),
        any: (_: unknown, args: { value: unknown }) => (calls.push(args), 'ok'),
        nested: () => ({}),
      },
    },
    formatError: maskInternalErrors(log),
    plugins: [inputHygienePlugin(log)],
  });
  return { server, lines, calls };
}

let env: ReturnType<typeof setup>;
beforeAll(async () => {
  env = setup();
  await env.server.start();
});
afterAll(() => env.server.stop());
beforeEach(() => {
  env.lines.length = 0;
  env.calls.length = 0;
});

async function run(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const result = await env.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: 'POST',
      headers: new HeaderMap([['content-type', 'application/json']]),
      search: '',
      body: { query, ...(variables && { variables }), ...(operationName && { operationName }) },
    },
    context: async () => ({}),
  });
  if (result.body.kind !== 'complete') throw new Error('expected a complete body');
  const body = JSON.parse(result.body.string) as {
    data?: Record<string, unknown>;
    errors?: { message: string; extensions: Record<string, unknown> }[];
  };
  return { status: result.status ?? 200, ...body };
}

async function expectRefused(query: string, variables: Record<string, unknown> | undefined, argument: string, message: string) {
  const result = await run(query, variables);
  expect(result.status).toBe(400);
  expect(result.data).toBeUndefined();
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', argument } });
  expect(result.errors![0]!.extensions.http).toBeUndefined();
  expect(env.calls).toEqual([]);
  return result;
}

describe('inputHygienePlugin', () => {
  test('a NUL byte in a variable is refused before any resolver runs, with HTTP 400 and the variable named', async () => {
    await expectRefused(
      'query ($text: String) { echo(text: $text) }',
      { text: 'a\u0000b' },
      '$text',
      'Variable "$text" contains a control character (U+0000); remove it.',
    );
  });

  test('a NUL byte in a string literal argument is refused, naming the argument', async () => {
    await expectRefused(
      '{ echo(text: "a\\u0000b") }',
      undefined,
      'text',
      'Argument "text" contains a control character (U+0000); remove it.',
    );
    await expectRefused('{ echo(id: "\\u0000") }', undefined, 'id', 'Argument "id" contains a control character (U+0000); remove it.');
    await expectRefused(
      '{ echo(text: """block \u0000""") }',
      undefined,
      'text',
      'Argument "text" contains a control character (U+0000); remove it.',
    );
  });

  test('the path inside input objects and lists is named, for literals and for variables', async () => {
    await expectRefused(
      '{ echo(filter: { lines: [{ name: "ok" }, { name: "bell\\u0007" }] }) }',
      undefined,
      'filter.lines[1].name',
      'Argument "filter.lines[1].name" contains a control character (U+0007); remove it.',
    );
    await expectRefused(
      'query ($filter: Filter) { echo(filter: $filter) }',
      { filter: { note: 'fine', lines: [{ name: 'a', tags: ['ok', '\u001b[31mred'] }] } },
      '$filter.lines[0].tags[1]',
      'Variable "$filter.lines[0].tags[1]" contains a control character (U+001B); remove it.',
    );
    // _entities representations reach a subgraph as a variable of a scalar that takes any JSON.
    await expectRefused(
      'query ($value: Any) { any(value: $value) }',
      { value: [{ __typename: 'Product', id: 'p\u0000' }] },
      '$value[0].id',
      'Variable "$value[0].id" contains a control character (U+0000); remove it.',
    );
  });

  test('literals in fragments, inline fragments, directives and variable defaults are checked', async () => {
    await expectRefused(
      'query { ...F } fragment F on Query { nested { echo(text: "\\u007f") } }',
      undefined,
      'text',
      'Argument "text" contains a control character (U+007F); remove it.',
    );
    await expectRefused(
      'query { ... on Query { echo(text: "\\u0008") } }',
      undefined,
      'text',
      'Argument "text" contains a control character (U+0008); remove it.',
    );
    await expectRefused(
      '{ echo @tag(label: "\\u0001") }',
      undefined,
      'label',
      'Argument "label" contains a control character (U+0001); remove it.',
    );
    await expectRefused(
      'query ($text: String = "\\u0000") { echo(text: $text) }',
      undefined,
      '$text',
      'Variable "$text" contains a control character (U+0000); remove it.',
    );
  });

  test('C1 controls and lone surrogates are refused', async () => {
    await expectRefused(
      'query ($text: String) { echo(text: $text) }',
      { text: 'next\u0085line' },
      '$text',
      'Variable "$text" contains a control character (U+0085); remove it.',
    );
    await expectRefused(
      'query ($text: String) { echo(text: $text) }',
      { text: '\u009b31m' },
      '$text',
      'Variable "$text" contains a control character (U+009B); remove it.',
    );
    await expectRefused(
      'query ($text: String) { echo(text: $text) }',
      { text: 'half \ud83d' },
      '$text',
      'Variable "$text" contains an unpaired surrogate (U+D83D), which is not valid Unicode; send well-formed text.',
    );
    await expectRefused(
      'query ($text: String) { echo(text: $text) }',
      { text: '\ude00 tail' },
      '$text',
      'Variable "$text" contains an unpaired surrogate (U+DE00), which is not valid Unicode; send well-formed text.',
    );
  });

  test('tab, LF, CR, emoji, accents, non-breaking spaces and LIKE wildcards pass', async () => {
    const text = 'tab\there\r\nline 😀 café\u00a0100% a_b \\ "quoted"';
    const result = await run('query ($text: String, $filter: Filter) { echo(text: $text, filter: $filter) }', {
      text,
      filter: { lines: [{ name: 'x', tags: ['y'] }], note: null },
    });
    expect(result.errors).toBeUndefined();
    expect(result.status).toBe(200);
    expect(env.calls).toEqual([{ text, filter: { lines: [{ name: 'x', tags: ['y'] }], note: null } }]);
    expect((await run('{ echo(text: "tab\\t line\\n 😀 \\ud83d\\ude00") }')).errors).toBeUndefined();
    expect(
      (await run('query ($value: Any) { any(value: $value) }', { value: { n: 1, b: true, z: null, list: [1.5, 'ok'] } })).errors,
    ).toBeUndefined();
    expect(env.lines).toEqual([]);
  });

  test('only the operation that runs is checked, not another one in the same document', async () => {
    const document = 'query Good { echo(text: "fine") } query Bad { echo(text: "\\u0000") }';
    expect((await run(document, undefined, 'Good')).data).toEqual({ echo: '{"text":"fine"}' });
    const bad = await run(document, undefined, 'Bad');
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'text' });
  });

  test('a document seen before is refused again (its literals are remembered, not skipped)', async () => {
    const query = '{ echo(text: "again\\u0000") }';
    for (let attempt = 0; attempt < 2; attempt++) {
      await expectRefused(query, undefined, 'text', 'Argument "text" contains a control character (U+0000); remove it.');
    }
  });

  test('variables nested too deep to walk are refused, not a stack overflow', async () => {
    let value: unknown = 'leaf';
    for (let depth = 0; depth < 100_000; depth++) value = [value];
    const result = await run('query ($value: Any) { any(value: $value) }', { value });
    expect(result.status).toBe(400);
    expect(result.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: `$value${'[0]'.repeat(64)}` });
    expect(result.errors![0]!.message).toMatch(/is nested deeper than 64 levels\.$/);
    expect(env.calls).toEqual([]);
    let shallow: unknown = 'leaf';
    for (let depth = 0; depth < 60; depth++) shallow = { inner: shallow };
    expect((await run('query ($value: Any) { any(value: $value) }', { value: shallow })).errors).toBeUndefined();
  });

  test('a refusal is one WARN line naming the argument and code point, with no stack and no value', async () => {
    await run('query Search ($text: String) { echo(text: $text) }', { text: 'secret\u0000' });
    expect(env.lines).toEqual([
      {
        level: 'warn',
        message: 'refused a control character or unpaired surrogate in the input',
        fields: { argument: '$text', codePoint: 'U+0000', operationName: 'Search' },
      },
    ]);
  });

  test('executeOperation reports the same error', async () => {
    const response = await env.server.executeOperation({ query: '{ echo(text: "\\u0000") }' });
    expect(response.http.status).toBe(400);
    expect(response.body.kind === 'single' && response.body.singleResult.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'text',
    });
  });
});
