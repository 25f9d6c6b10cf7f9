/** Crockford's base32: sortable, case-insensitive, no look-alike letters. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10; // 50 bits, enough for millisecond timestamps until the year 10889
const RANDOM_CHARS = 16; // 80 bits, so two ids in the same millisecond do not collide
const MAX_TIME = 2 ** 48 - 1;

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

/** Time part that sorts newest first, for KV listings (which are ascending only). */
export function descendingTimeKey(now: Date): string {
  return encodeTime(MAX_TIME - now.getTime());
}

export function timeFromDescendingKey(text: string): number {
  return MAX_TIME - decodeTime(text);
}

export const DESCENDING_TIME_KEY_LENGTH = TIME_CHARS;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
