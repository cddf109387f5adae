import { graphql } from './cluster';

export interface OrderRecord {
  id: string;
  status: string;
  createdAt: string;
  items: { quantity: number; product: { id: string } }[];
}

const ALL_ORDERS = `query All($after: String) {
  orders(first: 100, after: $after) {
    edges { node { id status createdAt items { quantity product { id } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every order, read from the orders subgraph itself as an ADMIN (not through the router). */
export async function allOrders(ordersUrl: string, adminToken: string): Promise<OrderRecord[]> {
  const orders: OrderRecord[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const answer = await graphql(ordersUrl, ALL_ORDERS, { after }, adminToken, 10_000);
    if (answer.errors?.length) throw new Error(`orders listing failed: ${JSON.stringify(answer.errors)}`);
    const connection = answer.data!.orders as {
      edges: { node: OrderRecord }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    orders.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) return orders;
    after = connection.pageInfo.endCursor;
  }
  throw new Error('orders listing never ended');
}

/** Each product's stock, read from the products subgraph itself as an ADMIN. */
export async function stocks(productsUrl: string, adminToken: string, ids: string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const id of ids) {
    const answer = await graphql(productsUrl, 'query P($id: ID!) { product(id: $id) { stock } }', { id }, adminToken, 10_000);
    if (answer.errors?.length || !answer.data?.product) throw new Error(`stock of ${id} unreadable: ${JSON.stringify(answer)}`);
    result.set(id, (answer.data.product as { stock: number }).stock);
  }
  return result;
}

export interface StockLine {
  productId: string;
  initial: number;
  confirmedUnits: number;
  stock: number;
}

/** initial − Σ quantities of CONFIRMED orders, against the stock products holds. */
export function stockLines(initial: Map<string, number>, orders: OrderRecord[], stock: Map<string, number>): StockLine[] {
  return [...initial].map(([productId, units]) => ({
    productId,
    initial: units,
    confirmedUnits: orders
      .filter((order) => order.status === 'CONFIRMED')
      .flatMap((order) => order.items)
      .filter((item) => item.product.id === productId)
      .reduce((sum, item) => sum + item.quantity, 0),
    stock: stock.get(productId)!,
  }));
}

export const balanced = (lines: StockLine[]) => lines.every((line) => line.stock >= 0 && line.stock === line.initial - line.confirmedUnits);
