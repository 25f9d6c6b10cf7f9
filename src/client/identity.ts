/**
 * What decides the `client_ref` the broker derives from an ID token, so that a
 * cached key is never handed out under a token the broker would attribute to
 * someone else. The broker takes `client_ref` from one top-level string claim
 * (`CLIENT_REF_CLAIM`: `sub` by default, perhaps `org_id`), or from that claim
 * and `iss` when it makes a pseudonym. The client does not know which claim, so
 * a JWT's identity is every top-level string claim: two tokens that agree on
 * them get the same `client_ref`. A refreshed token keeps its identity: what a
 * refresh changes is numeric (`iat`, `exp`, `nbf`, `auth_time`) or names the token
 * itself, not its user (`PER_TOKEN_CLAIMS`; Clerk renews its tokens every minute).
 *
 * The payload is decoded, never verified: the broker verifies every token it
 * receives, and a user who forges their own token can only reach keys already
 * in their own page's memory.
 *
 * The result is a `Map` key and nothing more: it is never sent, logged or put
 * into an error message, because it holds the token's claims, or for an opaque
 * token the token itself.
 */
/** String claims that differ from one token to the next for the same user; never a `client_ref` source. */
const PER_TOKEN_CLAIMS = new Set(["jti", "nonce", "at_hash", "c_hash"]);

export function identityOf(token: string): string {
  const claims = stringClaims(token);
  // Tagged, so that no opaque token can ever equal a JWT's identity.
  return claims ? JSON.stringify(["jwt", claims]) : JSON.stringify(["token", token]);
}

/**
 * The top-level string claims of a JWS compact token (`header.payload.signature`),
 * sorted by name. Anything else (another shape, bad base64url, bad UTF-8, bad JSON,
 * a payload that is not an object) gives `undefined`, and the whole token is the
 * identity instead.
 */
function stringClaims(token: string): Array<[string, string]> | undefined {
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
  return Object.entries(payload)
    .filter((claim): claim is [string, string] => typeof claim[1] === "string" && !PER_TOKEN_CLAIMS.has(claim[0]))
    .sort(([a], [b]) => (a < b ? -1 : 1));
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
