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

/** A source of random bytes, one per random character; injectable for tests. */
export type RandomBytes = (count: number) => Uint8Array;

const cryptoRandom: RandomBytes = (count) => crypto.getRandomValues(new Uint8Array(count));

/**
 * How far back the clock may step and still be taken for a glitch of the same
 * clock. Further back, it is another clock (a corrected one, or a test's), and
 * the id takes that clock's time: an id's time is its request's time.
 */
const MAX_CLOCK_STEP_BACK_MS = 60_000;

/**
 * A monotonic source of ULID-style issuance ids: ascending by creation time,
 * then by creation order. An id in a later millisecond gets a fresh random
 * part; one in the same millisecond as the previous id (or in an earlier one,
 * if the clock stepped back by up to `MAX_CLOCK_STEP_BACK_MS`) keeps the previous
 * time and gets the previous random part plus one, so ids made in one millisecond
 * sort in the order they were made. Should the random part overflow, the time
 * moves on by one millisecond with a fresh random part.
 */
export function issuanceIdSource(randomBytes: RandomBytes = cryptoRandom): (now: Date) => string {
  let last: { ms: number; random: number[] } | undefined;
  return (now) => {
    let ms = now.getTime();
    let random: number[] | undefined;
    if (last && ms <= last.ms && last.ms - ms <= MAX_CLOCK_STEP_BACK_MS) {
      random = increment(last.random);
      ms = random ? last.ms : last.ms + 1;
    }
    // 256 is a multiple of 32, so `% 32` keeps every digit equally likely.
    random ??= [...randomBytes(RANDOM_CHARS)].map((byte) => byte % 32);
    last = { ms, random };
    return encodeTime(ms) + random.map((digit) => ALPHABET[digit]).join("");
  };
}

/** Base32 digits plus one, with carry; undefined when every digit is already 31. */
function increment(digits: readonly number[]): number[] | undefined {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if ((next[i] as number) < 31) {
      next[i] = (next[i] as number) + 1;
      return next;
    }
    next[i] = 0;
  }
  return undefined;
}

/** This isolate's issuance ids: monotonic across every request the isolate serves. */
export const newIssuanceId = issuanceIdSource();

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

/** Each byte's two hex digits, looked up rather than formatted: this runs several times per mint. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += HEX_BYTES[byte];
  return hex;
}
