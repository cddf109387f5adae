import { requireSelfOrAdmin, requireViewer } from '../../lib/auth/viewer';
import { notFound } from '../../lib/graphql/errors';
import { readPageArgs, toConnection } from '../../lib/graphql/pagination';
import { DateTime } from '../../lib/graphql/scalars';
import type { OrdersContext } from './context';
import { orderKeyset, type Order, type OrderItem } from './data';
import { cancelOrder, placeOrder, type PlaceOrderInput } from './placement';

type PageArgs = { first?: number | null; after?: string | null };

/** An order the viewer may see: null if it doesn't exist, FORBIDDEN if it isn't theirs. */
async function visibleOrder(context: OrdersContext, id: string): Promise<Order | null> {
  const order = await context.orders.byId.load(id);
  if (order) requireSelfOrAdmin(context.viewer, order.buyerId, 'see this order');
  return order;
}

const money = (amountCents: number, currency: string) => ({ amountCents, currency });

export const resolvers = {
  DateTime,
  Query: {
    order: (_: unknown, args: { id: string }, context: OrdersContext) => visibleOrder(context, args.id),
    orders: async (_: unknown, args: PageArgs, context: OrdersContext) => {
      const viewer = requireViewer(context.viewer);
      const page = readPageArgs(args.first, args.after);
      const rows = await context.store.page(page.take, page.after, viewer.role === 'ADMIN' ? undefined : viewer.id);
      return toConnection(rows, page.first, orderKeyset);
    },
  },
  Mutation: {
    placeOrder: (_: unknown, args: { input: PlaceOrderInput }, context: OrdersContext) =>
      placeOrder(context, requireViewer(context.viewer), args.input),
    cancelOrder: async (_: unknown, args: { id: string }, context: OrdersContext) => {
      requireViewer(context.viewer);
      const order = await visibleOrder(context, args.id);
      if (!order) throw notFound('Order', args.id);
      return cancelOrder(context, order);
    },
  },
  Order: {
    __resolveReference: (reference: { id: string }, context: OrdersContext) => visibleOrder(context, reference.id),
    buyer: (order: Order) => ({ __typename: 'User', id: order.buyerId }),
    items: (order: Order, _: unknown, context: OrdersContext) => context.orders.items.load(order.id),
    total: (order: Order) => money(order.totalCents, order.currency),
  },
  OrderItem: {
    product: (item: OrderItem) => ({ __typename: 'Product', id: item.productId }),
    unitPrice: (item: OrderItem) => money(item.unitPriceCents, item.currency),
  },
  User: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    orders: async (user: { id: string }, args: PageArgs, context: OrdersContext) => {
      requireSelfOrAdmin(context.viewer, user.id, "see this user's orders");
      const page = readPageArgs(args.first, args.after);
      const orders = await context.orders.byBuyer.load({ buyerId: user.id, take: page.take, after: page.after });
      return toConnection(orders, page.first, orderKeyset);
    },
  },
};
