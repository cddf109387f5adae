import { requireAdmin } from '../../lib/auth/viewer';
import { badInput, notFound } from '../../lib/graphql/errors';
import { readPageArgs, toConnection } from '../../lib/graphql/pagination';
import { isUniqueViolation } from '../../lib/db/errors';
import type { Resolvers } from './generated/graphql';
import { MAX_STOCK, productKeyset, PRODUCTS_ORDER } from './data';
import { productsErrors } from './errors';
import { checkDescription, checkName, checkPriceCents, checkQuantity, checkSku } from './validation';

export const resolvers: Resolvers = {
  Query: {
    product: (_, args, context) => context.products.byId.load(args.id),
    productBySku: (_, args, context) => context.products.bySku.load(args.sku),
    products: async (_, args, context) => {
      const page = readPageArgs(args.first, args.after, PRODUCTS_ORDER.kind);
      const search = args.search?.trim() || null;
      if (search && search.length > 200) throw badInput('search must be at most 200 characters long.', 'search');
      return toConnection(await context.store.page(page.take, page.after, search), page.first, productKeyset);
    },
  },
  Mutation: {
    createProduct: async (_, { input }, context) => {
      requireAdmin(context.viewer, 'create products');
      const data = {
        sku: checkSku(input.sku),
        name: checkName(input.name),
        description: checkDescription(input.description),
        priceCents: checkPriceCents(input.priceCents),
        stock: checkQuantity('stock', input.stock, 0),
      };
      try {
        return await context.store.create(data);
      } catch (error) {
        if (isUniqueViolation(error)) throw productsErrors.error('SKU_TAKEN', `A product with SKU "${data.sku}" already exists.`);
        throw error;
      }
    },
    updateProduct: async (_, args, context) => {
      requireAdmin(context.viewer, 'update products');
      const { name, description, priceCents } = args.input;
      if (name === null) throw badInput('name cannot be null: leave it out to keep the current name.', 'name');
      if (priceCents === null) throw badInput('priceCents cannot be null: leave it out to keep the current price.', 'priceCents');
      const product = await context.store.update(args.id, {
        ...(name !== undefined && { name: checkName(name) }),
        ...(description !== undefined && { description: checkDescription(description) }),
        ...(priceCents !== undefined && { priceCents: checkPriceCents(priceCents) }),
      });
      if (!product) throw notFound('Product', args.id);
      return product;
    },
    restock: async (_, args, context) => {
      requireAdmin(context.viewer, 'restock products');
      const quantity = checkQuantity('quantity', args.quantity, 1, 1_000_000);
      const restocked = await context.store.restock(args.id, quantity);
      if (!restocked) throw notFound('Product', args.id);
      if (restocked.limited) throw badInput(`Stock cannot exceed ${MAX_STOCK}; it is ${restocked.product.stock}.`, 'quantity');
      return restocked.product;
    },
  },
  Product: {
    __resolveReference: (reference, context) => {
      // One @key or the other: by id, or by sku.
      return 'id' in reference ? context.products.byId.load(reference.id) : context.products.bySku.load(reference.sku);
    },
    price: (product) => ({ amountCents: product.priceCents, currency: product.currency }),
  },
};
