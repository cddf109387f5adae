import { badInput } from './graphql/errors';

/**
 * Characters that change how text around them is displayed while being invisible themselves:
 * bidi embeddings and overrides (U+202A–U+202E), bidi isolates (U+2066–U+2069), zero-width
 * space, non-joiner, joiner and direction marks (U+200B–U+200F), word joiner (U+2060) and the
 * zero-width no-break space / BOM (U+FEFF). In a name they let one look like another, or reverse
 * what follows it ("invoice\u202Egnp.exe" shows as "invoiceexe.png").
 */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/;

/** The first invisible or text-direction character in `text`, as "U+202E", or undefined. */
export function invisibleCharacter(text: string): string | undefined {
  const at = text.search(INVISIBLE);
  return at < 0 ? undefined : `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Trims a display name and checks its length and characters; BAD_USER_INPUT saying what is wrong. */
export function checkDisplayName(raw: string, maxLength: number): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > maxLength) throw badInput(`The name must be 1 to ${maxLength} characters long.`, 'name');
  const invisible = invisibleCharacter(name);
  if (invisible) throw badInput(`The name contains an invisible or text-direction character (${invisible}); remove it.`, 'name');
  return name;
}
