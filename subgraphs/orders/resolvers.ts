import { requireSelfOrAdmin, requireViewer } from '../../lib/auth/viewer';
import { notFound } from '../../lib/graphql/errors';
import { readPageArgs, toConnection } from '../../lib/graphql/pagination';
import { DateTime } from '../../lib/graphql/scalars';
import type { OrdersContext } from './context';
import type { Resolvers } from './generated/graphql';
import { orderKeyset, ORDERS_ORDER, type Order } from './data';
import { cancelOrder, placeOrder } from './placement';

/** An order the viewer may see: null if it doesn't exist, FORBIDDEN if it isn't theirs. */
async function visibleOrder(context: OrdersContext, id: string): Promise<Order | null> {
  const order = await context.orders.byId.load(id);
  if (order) requireSelfOrAdmin(context.viewer, order.buyerId, 'see this order');
  return order;
}

const money = (amountCents: number, currency: string) => ({ amountCents, currency });

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    order: (_, args, context) => visibleOrder(context, args.id),
    orders: async (_, args, context) => {
      const viewer = requireViewer(context.viewer);
      const page = readPageArgs(args.first, args.after, ORDERS_ORDER.kind);
      const rows = await context.store.page(page.take, page.after, viewer.role === 'ADMIN' ? undefined : viewer.id);
      return toConnection(rows, page.first, orderKeyset);
    },
  },
  Mutation: {
    placeOrder: (_, args, context) => placeOrder(context, requireViewer(context.viewer), args.input),
    cancelOrder: async (_, args, context) => {
      requireViewer(context.viewer);
      const order = await visibleOrder(context, args.id);
      if (!order) throw notFound('Order', args.id);
      return cancelOrder(context, order);
    },
  },
  Order: {
    __resolveReference: (reference, context) => visibleOrder(context, reference.id),
    buyer: (order) => ({ __typename: 'User', id: order.buyerId }),
    items: (order, _, context) => context.orders.items.load(order.id),
    total: (order) => money(order.totalCents, order.currency),
  },
  OrderItem: {
    product: (item) => ({ __typename: 'Product', id: item.productId }),
    unitPrice: (item) => money(item.unitPriceCents, item.currency),
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    orders: async (user, args, context) => {
      requireSelfOrAdmin(context.viewer, user.id, "see this user's orders");
      const page = readPageArgs(args.first, args.after, ORDERS_ORDER.kind);
      const orders = await context.orders.byBuyer.load({ buyerId: user.id, take: page.take, after: page.after });
      return toConnection(orders, page.first, orderKeyset);
    },
  },
};
