import { badInput } from '../../lib/graphql/errors';
import { invisibleCharacter } from '../../lib/text';

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
  const name = raw.trim();
  if (name.length < 1 || name.length > 100) throw badInput('The name must be 1 to 100 characters long.', 'name');
  const invisible = invisibleCharacter(name);
  if (invisible) throw badInput(`The name contains an invisible or text-direction character (${invisible}); remove it.`, 'name');
  return name;
}
