import { GraphQLError } from 'graphql';
import { checkDisplayName, invisibleCharacter } from '../../lib/text';
import { validatePlaceOrder, type PlaceOrderInput } from '../../subgraphs/orders/placement';
import * as products from '../../subgraphs/products/validation';
import { MAX_STOCK } from '../../subgraphs/products/data';
import * as users from '../../subgraphs/users/validation';

/** The refusal `run` throws: a GraphQLError with BAD_USER_INPUT naming `field`. */
function refusal(run: () => unknown): { message: string; field: unknown } {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof GraphQLError)) throw new Error(`expected a GraphQLError, got ${String(thrown)}`);
  expect(thrown.extensions.code).toBe('BAD_USER_INPUT');
  return { message: thrown.message, field: thrown.extensions.field };
}

const text = (length: number, char = 'a') => char.repeat(length);

describe('display names (lib/text.ts)', () => {
  test('are trimmed, and must then be 1 to maxLength characters', () => {
    expect(checkDisplayName('  Ada Lovelace \n', 20)).toBe('Ada Lovelace');
    expect(checkDisplayName(text(20), 20)).toBe(text(20));
    expect(checkDisplayName(` ${text(20)} `, 20)).toBe(text(20));
    for (const bad of ['', '   ', '\t\n', text(21)]) {
      expect(refusal(() => checkDisplayName(bad, 20))).toEqual({ message: 'The name must be 1 to 20 characters long.', field: 'name' });
    }
  });

  test.each([
    ['U+202E', 'invoice\u202Egnp.exe'],
    ['U+202A', '\u202Aleft'],
    ['U+2066', 'a\u2066b'],
    ['U+2069', 'a\u2069b'],
    ['U+200B', 'ad\u200Bmin'],
    ['U+200F', 'a\u200Fb'],
    ['U+2060', 'a\u2060b'],
    ['U+FEFF', 'a\uFEFFb'],
  ])('an invisible or text-direction character (%s) is refused, named by its code point', (code, name) => {
    expect(refusal(() => checkDisplayName(name, 100))).toEqual({
      message: `The name contains an invisible or text-direction character (${code}); remove it.`,
      field: 'name',
    });
  });

  test('visible non-ASCII letters, emoji and the characters next to the refused ranges are fine', () => {
    for (const name of ['Zoë Ångström', 'שלום', 'مرحبا', '東京', 'café ☕', 'a\u2010b', 'a\u202Fb']) {
      expect(checkDisplayName(name, 100)).toBe(name);
    }
    expect(invisibleCharacter('plain')).toBeUndefined();
    expect(invisibleCharacter('x\u200Dy\u202E')).toBe('U+200D');
  });
});

describe('users (subgraphs/users/validation.ts)', () => {
  test('an email is trimmed and lower-cased; up to 254 characters', () => {
    expect(users.normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    const longest = `${text(64)}@${text(185)}.com`;
    expect(longest).toHaveLength(254);
    expect(users.normalizeEmail(longest)).toBe(longest);
    expect(refusal(() => users.normalizeEmail(`a${longest}`)).field).toBe('email');
  });

  test.each(['', 'plain', 'a@b', '@example.com', 'a@.com', 'a b@example.com', 'a@exa mple.com', 'a@@example.com'])(
    'the email %p is refused, naming the field',
    (email) => {
      expect(refusal(() => users.normalizeEmail(email))).toEqual({ message: `"${email}" is not a valid email address.`, field: 'email' });
    },
  );

  test('a password is 8 to 200 characters, counted as given (never trimmed)', () => {
    expect(() => users.checkPassword(text(8))).not.toThrow();
    expect(() => users.checkPassword(text(200))).not.toThrow();
    expect(() => users.checkPassword(` ${text(6)} `)).not.toThrow();
    expect(refusal(() => users.checkPassword(text(7)))).toEqual({
      message: 'The password must be at least 8 characters long.',
      field: 'password',
    });
    expect(refusal(() => users.checkPassword(text(201)))).toEqual({
      message: 'The password must be at most 200 characters long.',
      field: 'password',
    });
  });

  test('a user name is a display name of up to 100 characters', () => {
    expect(users.checkName(` ${text(100)} `)).toBe(text(100));
    expect(refusal(() => users.checkName(text(101))).message).toBe('The name must be 1 to 100 characters long.');
    expect(refusal(() => users.checkName('Mallory\u202E')).field).toBe('name');
  });
});

describe('products (subgraphs/products/validation.ts)', () => {
  test('a SKU is 1 to 64 letters, digits, ".", "_" or "-", kept as given', () => {
    for (const sku of ['A', 'pen-01', 'Ink_Blue.500ml', text(64, 'Z')]) expect(products.checkSku(sku)).toBe(sku);
    for (const sku of ['', text(65), 'has space', 'slash/no', 'ümlaut', ' PEN', 'PEN\n', 'a\u200Bb']) {
      expect(refusal(() => products.checkSku(sku))).toEqual({
        message: `SKU "${sku}" must be 1 to 64 letters, digits, '.', '_' or '-'.`,
        field: 'sku',
      });
    }
  });

  test('a product name is a display name of up to 200 characters', () => {
    expect(products.checkName(`  ${text(200)}`)).toBe(text(200));
    expect(refusal(() => products.checkName(text(201))).message).toBe('The name must be 1 to 200 characters long.');
    expect(refusal(() => products.checkName('   ')).field).toBe('name');
    expect(refusal(() => products.checkName('Pen\u2066')).field).toBe('name');
  });

  test('a description is optional and at most 5000 characters', () => {
    expect(products.checkDescription(null)).toBeNull();
    expect(products.checkDescription(undefined)).toBeUndefined();
    expect(products.checkDescription('')).toBe('');
    expect(products.checkDescription(text(5000))).toBe(text(5000));
    expect(refusal(() => products.checkDescription(text(5001)))).toEqual({
      message: 'The description must be at most 5000 characters long.',
      field: 'description',
    });
  });

  test('a price is a whole number of cents from 0 to 1,000,000,000', () => {
    for (const cents of [0, 1, 1_000_000_000]) expect(products.checkPriceCents(cents)).toBe(cents);
    for (const cents of [-1, 1_000_000_001, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(refusal(() => products.checkPriceCents(cents))).toEqual({
        message: `priceCents must be a whole number from 0 to 1000000000, got ${cents}.`,
        field: 'priceCents',
      });
    }
  });

  test('a stock quantity is a whole number from its minimum to MAX_STOCK, and the refusal names the argument', () => {
    expect(products.checkQuantity('stock', 0, 0)).toBe(0);
    expect(products.checkQuantity('stock', MAX_STOCK, 0)).toBe(MAX_STOCK);
    expect(refusal(() => products.checkQuantity('stock', MAX_STOCK + 1, 0))).toEqual({
      message: `stock must be a whole number from 0 to ${MAX_STOCK}, got ${MAX_STOCK + 1}.`,
      field: 'stock',
    });
    expect(refusal(() => products.checkQuantity('stock', -1, 0)).field).toBe('stock');
    // A restock adds at least one.
    expect(products.checkQuantity('quantity', 1, 1)).toBe(1);
    expect(refusal(() => products.checkQuantity('quantity', 0, 1))).toEqual({
      message: `quantity must be a whole number from 1 to ${MAX_STOCK}, got 0.`,
      field: 'quantity',
    });
    expect(refusal(() => products.checkQuantity('quantity', 2.5, 1)).field).toBe('quantity');
    expect(refusal(() => products.checkQuantity('quantity', 11, 1, 10)).message).toBe(
      'quantity must be a whole number from 1 to 10, got 11.',
    );
  });
});

describe('placing an order (validatePlaceOrder in subgraphs/orders/placement.ts)', () => {
  const lines = (count: number, quantity = 1) => Array.from({ length: count }, (_, i) => ({ productId: `product-${i}`, quantity }));
  const order = (items: PlaceOrderInput['items'], idempotencyKey?: string | null): PlaceOrderInput => ({ items, idempotencyKey });

  test('an order has 1 to 50 lines', () => {
    expect(() => validatePlaceOrder(order(lines(1)))).not.toThrow();
    expect(() => validatePlaceOrder(order(lines(50)))).not.toThrow();
    expect(refusal(() => validatePlaceOrder(order([])))).toEqual({ message: 'An order needs at least one item.', field: 'items' });
    expect(refusal(() => validatePlaceOrder(order(lines(51))))).toEqual({
      message: 'An order has at most 50 lines, got 51.',
      field: 'items',
    });
  });

  test('each quantity is a whole number from 1 to 1000; the refusal names the line', () => {
    expect(() => validatePlaceOrder(order(lines(2, 1_000)))).not.toThrow();
    for (const quantity of [0, -1, 1_001, 1.5, Number.NaN]) {
      const items = [{ productId: 'fine', quantity: 1 }, ...lines(1, quantity)];
      expect(refusal(() => validatePlaceOrder(order(items)))).toEqual({
        message: `items[1].quantity must be from 1 to 1000, got ${quantity}.`,
        field: 'items.1.quantity',
      });
    }
  });

  test('a product appears on one line only; the refusal names the repeated line', () => {
    const items = [
      { productId: 'pen', quantity: 1 },
      { productId: 'ink', quantity: 2 },
      { productId: 'pen', quantity: 3 },
    ];
    expect(refusal(() => validatePlaceOrder(order(items)))).toEqual({
      message: 'Product pen appears more than once: put it on one line with the total quantity.',
      field: 'items.2.productId',
    });
  });

  test('an idempotencyKey is optional, and 1 to 200 characters when given', () => {
    for (const key of [undefined, null, 'k', text(200)]) expect(() => validatePlaceOrder(order(lines(1), key))).not.toThrow();
    for (const key of ['', text(201)]) {
      expect(refusal(() => validatePlaceOrder(order(lines(1), key)))).toEqual({
        message: 'idempotencyKey must be 1 to 200 characters long.',
        field: 'idempotencyKey',
      });
    }
  });

  test('the lines are checked before the key, so the first fault reported is the first in the input', () => {
    expect(refusal(() => validatePlaceOrder(order([], ''))).field).toBe('items');
    expect(refusal(() => validatePlaceOrder(order(lines(1, 0), text(201)))).field).toBe('items.0.quantity');
  });
});
