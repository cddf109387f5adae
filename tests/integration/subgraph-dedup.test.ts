import http from 'node:http';
import type net from 'node:net';
import { createLogger } from '../../lib/log';
import { ServiceMetrics } from '../../lib/observability/metrics';
import { subgraphCallMetrics } from '../../router/metrics';
import { SubgraphDataSource } from '../../router/subgraph-source';

/** A subgraph that answers every POST after 100 ms and counts what reached it. */
let server: http.Server;
let url: string;
const received: { authorization?: string; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ authorization: request.headers.authorization, body });
      setTimeout(() => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ data: { n: received.length } }));
      }, 100);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

function source(deduplicate: boolean): SubgraphDataSource {
  return new SubgraphDataSource({
    name: 'products',
    url,
    timeoutMs: 2000,
    breakerFailures: 5,
    breakerCooldownMs: 1000,
    deduplicate,
    log: createLogger('router-test'),
    metrics: subgraphCallMetrics(new ServiceMetrics('router-test')),
  });
}

const call = (data: SubgraphDataSource, query: string, authorization?: string) =>
  data.fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });

describe('identical subgraph queries in flight share one call', () => {
  test('same body and Authorization: one request reaches the subgraph, each caller gets its own copy', async () => {
    const data = source(true);
    const answers = await Promise.all([1, 2, 3].map(() => call(data, '{ products { id } }', 'Bearer a')));
    expect(received).toHaveLength(1);
    const bodies = await Promise.all(answers.map((answer) => answer.json()));
    expect(bodies).toEqual([{ data: { n: 1 } }, { data: { n: 1 } }, { data: { n: 1 } }]);
    expect(bodies[0]).not.toBe(bodies[1]);
  });

  test('a different Authorization is a different call', async () => {
    const data = source(true);
    await Promise.all([call(data, '{ me { id } }', 'Bearer a'), call(data, '{ me { id } }', 'Bearer b'), call(data, '{ me { id } }')]);
    expect(received.map(({ authorization }) => authorization).sort()).toEqual(['Bearer a', 'Bearer b', undefined]);
  });

  test('mutations are never shared', async () => {
    const data = source(true);
    await Promise.all([1, 2].map(() => call(data, 'mutation { restock(id: "1", quantity: 1) { id } }', 'Bearer a')));
    expect(received).toHaveLength(2);
  });

  test('calls after the first has answered go out again', async () => {
    const data = source(true);
    await call(data, '{ products { id } }');
    await call(data, '{ products { id } }');
    expect(received).toHaveLength(2);
  });

  test('SUBGRAPH_DEDUPLICATE=false sends every call', async () => {
    const data = source(false);
    await Promise.all([1, 2].map(() => call(data, '{ products { id } }')));
    expect(received).toHaveLength(2);
  });
});

describe("closing a subgraph's connection pool (router shutdown)", () => {
  test('a call in progress still gets its answer; later calls fail as SUBGRAPH_UNAVAILABLE', async () => {
    const data = source(true);
    const inProgress = call(data, '{ products { id } }');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([data.close(), expect(inProgress.then((answer) => answer.json())).resolves.toEqual({ data: { n: 1 } })]);
    await expect(call(data, '{ products { id } }')).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
  });
});
