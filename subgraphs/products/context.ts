import type { IncomingHttpHeaders } from 'node:http';
import type { TokenVerifier } from '../../lib/auth/tokens';
import { viewerFromAuthorization, type Viewer } from '../../lib/auth/viewer';
import { createProductLoaders, type ProductLoaders, type ProductsStore } from './data';

export interface ProductsContext {
  viewer: Viewer | null;
  store: ProductsStore;
  products: ProductLoaders;
}

export function createContextFactory(deps: { store: ProductsStore; verify: TokenVerifier }) {
  return async ({ headers }: { headers: IncomingHttpHeaders }): Promise<ProductsContext> => ({
    viewer: await viewerFromAuthorization(headers.authorization, deps.verify),
    store: deps.store,
    products: createProductLoaders(deps.store),
  });
}
