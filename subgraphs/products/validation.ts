import { badInput } from '../../lib/graphql/errors';
import { checkDisplayName } from '../../lib/text';
import { MAX_STOCK } from './data';

const SKU = /^[A-Za-z0-9._-]{1,64}$/;

/** $10,000,000. Orders refuses any order whose total would pass a GraphQL Int (2^31 - 1 cents). */
const MAX_CENTS = 1_000_000_000;

export function checkSku(sku: string): string {
  if (!SKU.test(sku)) throw badInput(`SKU "${sku}" must be 1 to 64 letters, digits, '.', '_' or '-'.`, 'sku');
  return sku;
}

export function checkName(name: string): string {
  return checkDisplayName(name, 200);
}

export function checkDescription(description: string | null | undefined): string | null | undefined {
  if (description && description.length > 5000) throw badInput('The description must be at most 5000 characters long.', 'description');
  return description;
}

export function checkPriceCents(priceCents: number): number {
  if (!Number.isInteger(priceCents) || priceCents < 0 || priceCents > MAX_CENTS) {
    throw badInput(`priceCents must be a whole number from 0 to ${MAX_CENTS}, got ${priceCents}.`, 'priceCents');
  }
  return priceCents;
}

export function checkQuantity(field: string, value: number, min: number, max = MAX_STOCK): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be a whole number from ${min} to ${max}, got ${value}.`, field);
  }
  return value;
}
