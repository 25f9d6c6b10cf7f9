/** Crockford's base32: sortable, case-insensitive, no look-alike letters. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10; // 50 bits, enough for millisecond timestamps until the year 10889
const RANDOM_CHARS = 16; // 80 bits, so two ids in the same millisecond do not collide

function encodeTime(ms: number): string {
  let text = "";
  for (let i = 0, rest = ms; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) {
    text = ALPHABET[rest % 32] + text;
  }
  return text;
}

function decodeTime(text: string): number {
  let ms = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return Number.NaN;
    ms = ms * 32 + digit;
  }
  return ms;
}

/** A ULID-style issuance id: ascending by creation time, then random. */
export function newIssuanceId(now: Date): string {
  const random = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  let text = encodeTime(now.getTime());
  for (const byte of random) text += ALPHABET[byte % 32];
  return text;
}

export const ISSUANCE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Replaces every character of a Crockford base32 string by its complement
 * (digit d becomes 31 - d). KV lists keys in ascending order only; complemented
 * issuance ids list in descending order of the whole id, which is newest first
 * and, within one millisecond, descending by the random part. Complementing twice
 * gives the original back. Throws on a character outside the alphabet.
 */
export function complementId(text: string): string {
  let complement = "";
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new RangeError("not a Crockford base32 string");
    complement += ALPHABET.charAt(31 - digit);
  }
  return complement;
}

/** The creation time of an issuance id, in milliseconds since the epoch (NaN if it is not one). */
export function issuanceIdTime(id: string): number {
  return ISSUANCE_ID_PATTERN.test(id) ? decodeTime(id.slice(0, TIME_CHARS)) : Number.NaN;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
