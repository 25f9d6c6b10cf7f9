/**
 * Positions in issuance-id order, for walking the audit index oldest first.
 *
 * Issuance ids are 26 Crockford base32 characters that sort by time (10
 * characters of milliseconds), then by their random part; any such string is a
 * position, whether or not a record has it as its id. An id's first `n`
 * characters name a block of ids: one millisecond for `n` = 10, 32 ms for 9,
 * about a second for 8, and so on up to 32^10 ms for `n` = 0, and ever smaller
 * runs of ids within one millisecond for `n` > 10.
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const ID_CHARS = 26;
const TIME_CHARS = 10;
const FIRST_DIGIT = ALPHABET.charAt(0);
const LAST_DIGIT = ALPHABET.charAt(ALPHABET.length - 1);
/** Largest millisecond an issuance id can hold. */
export const MAX_ID_TIME_MS = 32 ** TIME_CHARS - 1;

function encodeTime(ms: number): string {
  let text = "";
  for (let i = 0, rest = ms; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) {
    text = ALPHABET.charAt(rest % 32) + text;
  }
  return text;
}

/** The last position in millisecond `ms`. */
export function lastIdAt(ms: number): string {
  return encodeTime(ms) + LAST_DIGIT.repeat(ID_CHARS - TIME_CHARS);
}

/** The millisecond of a position. */
export function idTimeMs(id: string): number {
  let ms = 0;
  for (const char of id.slice(0, TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

/** The position right after `id`, or null after the last one. */
export function nextId(id: string): string | null {
  for (let i = id.length - 1; i >= 0; i--) {
    const digit = ALPHABET.indexOf(id.charAt(i));
    if (digit < ALPHABET.length - 1) {
      return id.slice(0, i) + ALPHABET.charAt(digit + 1) + FIRST_DIGIT.repeat(id.length - i - 1);
    }
  }
  return null;
}

/** The last position of the block of ids that start with `prefix`. */
export function blockEnd(prefix: string): string {
  return prefix + LAST_DIGIT.repeat(ID_CHARS - prefix.length);
}

/** How many milliseconds a block of `prefixChars` leading characters spans (below 1 inside one millisecond). */
export function blockSpanMs(prefixChars: number): number {
  return 32 ** (TIME_CHARS - prefixChars);
}

/** Length of the longest common prefix of two positions: the block holding both. */
export function commonPrefixLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && a.charAt(n) === b.charAt(n)) n++;
  return n;
}
