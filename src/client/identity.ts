/**
 * Who an ID token belongs to, so that cached keys are never handed to another
 * user. The payload is decoded, never verified: the broker verifies every
 * token it receives, and a user who forges their own token can only reach
 * keys already in their own page's memory.
 *
 * The result is a `Map` key and nothing more: it is never sent, logged or put
 * into an error message, because for an opaque token it is the token itself.
 */
export function identityOf(token: string): string {
  const claims = jwtSubject(token);
  // Tagged, so that no opaque token can ever equal a JWT's identity.
  return claims ? JSON.stringify(["jwt", claims.iss, claims.sub]) : JSON.stringify(["token", token]);
}

/**
 * `iss` and `sub` from a JWS compact token (`header.payload.signature`), so a
 * refreshed token for the same user keeps the same identity. Anything else
 * (another shape, bad base64url, bad UTF-8, bad JSON, no `sub`) gives
 * `undefined`, and the whole token is the identity instead.
 */
function jwtSubject(token: string): { iss: string | null; sub: string } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  const json = decodeBase64UrlUtf8(parts[1]);
  if (json === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const { iss, sub } = payload as { iss?: unknown; sub?: unknown };
  if (typeof sub !== "string" || sub === "") return undefined;
  if (iss !== undefined && typeof iss !== "string") return undefined;
  return { iss: iss ?? null, sub };
}

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Base64url (padded or not) to text, or `undefined` when either the base64url
 * or the UTF-8 is invalid. Decoding stays strict so that two different subjects
 * can never decode to the same replacement characters. Written out by hand
 * because `atob` and `TextDecoder` are missing from older React Native runtimes;
 * `decodeURIComponent` is in every one and rejects malformed UTF-8.
 */
function decodeBase64UrlUtf8(text: string): string | undefined {
  const data = text.replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(data) || data.length % 4 === 1) return undefined;
  let percentEncoded = "";
  let buffer = 0;
  let bits = 0;
  for (const char of data) {
    buffer = (buffer << 6) | BASE64URL_ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      percentEncoded += `%${((buffer >> bits) & 0xff).toString(16).padStart(2, "0")}`;
      buffer &= (1 << bits) - 1;
    }
  }
  try {
    return decodeURIComponent(percentEncoded);
  } catch {
    return undefined;
  }
}
