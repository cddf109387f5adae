import type { ErrorLike } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { CATALOGUE, MY_ORDERS, PLACE_ORDER, SIGN_IN, SIGN_OUT, SIGN_UP } from './operations';
import { session } from './session';

const PAGE = 6;

const money = (price: { amountCents: number; currency: string }) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: price.currency }).format(price.amountCents / 100);

/** The services an answer came back without (SUBGRAPH_UNAVAILABLE), for a partial page's notice. */
function unavailable(error: ErrorLike | undefined): string[] {
  if (!CombinedGraphQLErrors.is(error)) return [];
  return error.errors.filter((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE').map((e) => String(e.extensions?.service));
}

function Notice({ error }: { error: ErrorLike | undefined }) {
  const down = unavailable(error);
  if (down.length > 0) {
    return (
      <p className="notice" data-testid="partial">
        Some details are missing: the {down.join(' and ')} service {down.length > 1 ? 'are' : 'is'} unavailable. Try again shortly.
      </p>
    );
  }
  return error ? (
    <p className="error" role="alert">
      {error.message}
    </p>
  ) : null;
}

function useSession() {
  return useSyncExternalStore(session.subscribe, session.get);
}

function Auth() {
  const [mode, setMode] = useState<'signIn' | 'signUp'>('signUp');
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const [signUp, signingUp] = useMutation(SIGN_UP);
  const [signIn, signingIn] = useMutation(SIGN_IN);
  const [error, setError] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      if (mode === 'signUp') {
        const { data } = await signUp({ variables: { input: form } });
        if (data) session.set(data.signUp);
      } else {
        const { data } = await signIn({ variables: { email: form.email, password: form.password } });
        if (data) session.set(data.signIn);
      }
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const field = (name: keyof typeof form, label: string, type = 'text') => (
    <label>
      {label} <input name={name} type={type} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} required />
    </label>
  );
  return (
    <form onSubmit={submit} data-testid="auth">
      <h2>{mode === 'signUp' ? 'Create an account' : 'Sign in'}</h2>
      {mode === 'signUp' && field('name', 'Name')}
      {field('email', 'Email', 'email')}
      {field('password', 'Password', 'password')}
      <button type="submit" disabled={signingUp.loading || signingIn.loading}>
        {mode === 'signUp' ? 'Sign up' : 'Sign in'}
      </button>
      <button type="button" onClick={() => setMode(mode === 'signUp' ? 'signIn' : 'signUp')}>
        {mode === 'signUp' ? 'I have an account' : 'Create an account instead'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

interface CartLine {
  productId: string;
  name: string;
  quantity: number;
}

function Catalogue({ onAdd, signedIn }: { onAdd: (line: { productId: string; name: string }) => void; signedIn: boolean }) {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState<string>();
  const { data, error, loading, fetchMore } = useQuery(CATALOGUE, { variables: { first: PAGE, search: applied } });
  const page = data?.products;
  return (
    <section data-testid="catalogue">
      <h2>Catalogue</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(search.trim() || undefined);
        }}
      >
        <input aria-label="Search" placeholder="Search by name or SKU" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      <Notice error={error} />
      {loading && !page && <p>Loading…</p>}
      {page && page.edges.length === 0 && <p>No products match.</p>}
      <ul>
        {page?.edges.map(({ node }) => (
          <li key={node.id} data-testid="product">
            <strong>{node.name}</strong> <span className="sku">{node.sku}</span> {money(node.price)} · {node.stock} in stock{' '}
            {signedIn && (
              <button type="button" disabled={node.stock === 0} onClick={() => onAdd({ productId: node.id, name: node.name })}>
                Add {node.name}
              </button>
            )}
          </li>
        ))}
      </ul>
      {page?.pageInfo.hasNextPage && (
        <button
          type="button"
          onClick={() =>
            fetchMore({
              variables: { after: page.pageInfo.endCursor },
              updateQuery: (previous, { fetchMoreResult }) =>
                fetchMoreResult.products && previous.products
                  ? { products: { ...fetchMoreResult.products, edges: [...previous.products.edges, ...fetchMoreResult.products.edges] } }
                  : fetchMoreResult,
            })
          }
        >
          More products
        </button>
      )}
    </section>
  );
}

function Cart({ lines, onPlaced }: { lines: CartLine[]; onPlaced: () => void }) {
  // One key per cart: a retry of the same cart (a lost answer, a double click) places one order.
  const [idempotencyKey, setKey] = useState(() => crypto.randomUUID());
  const [placeOrder, { loading, error }] = useMutation(PLACE_ORDER, { refetchQueries: [MY_ORDERS] });
  const [placed, setPlaced] = useState<string>();
  if (lines.length === 0) return placed ? <p data-testid="placed">Order placed: {placed}</p> : null;
  const place = async () => {
    const { data } = await placeOrder({
      variables: { input: { idempotencyKey, items: lines.map(({ productId, quantity }) => ({ productId, quantity })) } },
    }).catch(() => ({ data: undefined }));
    if (!data) return;
    setPlaced(`${data.placeOrder.status}, ${money(data.placeOrder.total)}`);
    setKey(crypto.randomUUID());
    onPlaced();
  };
  return (
    <section data-testid="cart">
      <h2>Cart</h2>
      <ul>
        {lines.map((line) => (
          <li key={line.productId}>
            {line.quantity} × {line.name}
          </li>
        ))}
      </ul>
      <button type="button" onClick={place} disabled={loading}>
        Place order
      </button>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
    </section>
  );
}

function Orders() {
  const { data, error, loading, refetch } = useQuery(MY_ORDERS, { fetchPolicy: 'cache-and-network' });
  const me = data?.me;
  return (
    <section data-testid="orders">
      <h2>Your orders</h2>
      <button type="button" onClick={() => void refetch().catch(() => undefined)}>
        Refresh
      </button>
      <Notice error={error} />
      {loading && !data && <p>Loading…</p>}
      {me && <p data-testid="viewer">Signed in as {me.name}</p>}
      {me && me.orders === null && <p data-testid="orders-missing">Your orders can't be shown right now.</p>}
      {me?.orders?.edges.length === 0 && <p>No orders yet.</p>}
      <ul>
        {me?.orders?.edges.map(({ node }) => (
          <li key={node.id} data-testid="order">
            <span className="status">{node.status}</span> {money(node.total)}
            <ul>
              {node.items.map((item, index) => (
                <li key={item.product?.id ?? index} data-testid="order-item">
                  {item.quantity} × {item.product ? item.product.name : <em data-testid="product-missing">product details unavailable</em>}{' '}
                  at {money(item.unitPrice)}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function App() {
  const current = useSession();
  const client = useApolloClient();
  const [cart, setCart] = useState<CartLine[]>([]);
  const [signOut] = useMutation(SIGN_OUT);
  // The session ends here and at users: its refresh token can no longer renew it.
  const end = () => {
    if (current) void signOut({ variables: { refreshToken: current.refreshToken } }).catch(() => undefined);
    session.set(undefined);
  };
  // On signing out (or a refused refresh), nothing of that user stays in the cache.
  const previous = useRef(current);
  useEffect(() => {
    if (previous.current && !current) void client.clearStore();
    previous.current = current;
  }, [current, client]);
  const add = ({ productId, name }: { productId: string; name: string }) =>
    setCart((lines) =>
      lines.some((line) => line.productId === productId)
        ? lines.map((line) => (line.productId === productId ? { ...line, quantity: line.quantity + 1 } : line))
        : [...lines, { productId, name, quantity: 1 }],
    );
  return (
    <main>
      <header>
        <h1>Storefront</h1>
        {current && (
          <p>
            {current.user.name}{' '}
            <button type="button" onClick={end}>
              Sign out
            </button>
          </p>
        )}
      </header>
      {!current && <Auth />}
      <Catalogue onAdd={add} signedIn={current !== undefined} />
      {current && <Cart lines={cart} onPlaced={() => setCart([])} />}
      {current && <Orders />}
    </main>
  );
}
