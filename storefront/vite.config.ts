import { defineConfig } from 'vite';

/**
 * The storefront: `npm run storefront` serves it on http://localhost:5173 against the router at
 * http://localhost:4000/graphql (or `?router=<url>`); `npm run storefront:build` writes dist/ and
 * the trusted documents manifest. React's JSX is compiled by Vite itself (automatic runtime).
 */
export default defineConfig({
  root: import.meta.dirname,
  server: { port: 5173, strictPort: true },
  // Apollo Client and graphql-js are most of the one chunk (about 590 kB, 170 kB gzipped).
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 700 },
});
