import { badInput } from '../../lib/graphql/errors';
import { checkDisplayName } from '../../lib/text';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cases and checks an email; BAD_USER_INPUT saying what is wrong. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput(`"${raw}" is not a valid email address.`, 'email');
  return email;
}

export function checkPassword(password: string): void {
  if (password.length < 8) throw badInput('The password must be at least 8 characters long.', 'password');
  if (password.length > 200) throw badInput('The password must be at most 200 characters long.', 'password');
}

/** Trims a display name and checks it; BAD_USER_INPUT saying what is wrong. */
export function checkName(raw: string): string {
  return checkDisplayName(raw, 100);
}
