import type { KeyClient } from "../index.js";
import { withRefusal } from "./refusal.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for `@deepgram/sdk` (v5). It only fetches keys from the broker:
 * the client has no dependency on the SDK.
 */

/** The `accessToken` option of `new DeepgramClient(…)` (a `Supplier<string>`), with `refused` for a socket's errors. */
export interface DeepgramAccessToken {
  (): Promise<string>;
  /**
   * Pass the socket's errors here (`socket.on("error", accessToken.refused)`).
   * Deepgram refuses a token at the handshake, with HTTP 401 (403 for a token
   * without the scope). Node's WebSocket names that status in the error; a
   * browser's names nothing, so in a browser any socket error, which may be the
   * refusal, also forgets the token: at worst the next connection mints one
   * token more than needed. True when it forgot.
   */
  refused(error: unknown): boolean;
}

/** Node's `ws` names a refused handshake's status in its error message: "Unexpected server response: 401". */
const REFUSED_HANDSHAKE = /\b40[13]\b/;

/**
 * The `accessToken` option of `new DeepgramClient({ accessToken })`. The SDK
 * calls it at each `connect()` (and before each REST call) and sends the
 * token as `Authorization: Bearer` (Node) or the `bearer` subprotocol
 * (browsers). A token opens any number of connections until it expires, so
 * the client reuses one until shortly before then.
 *
 * The SDK's own reconnects reuse the token `connect()` got, so after a
 * refusal close the socket and `connect()` again for a new one.
 *
 * ```ts
 * const accessToken = deepgramAccessToken(keys, { ttl_seconds: 300 });
 * const deepgram = new DeepgramClient({ accessToken });
 * const socket = await deepgram.listen.v1.connect({ model: "nova-3" });
 * socket.on("error", accessToken.refused); // a refused token is forgotten, so the next connect() mints another
 * socket.connect();
 * ```
 */
export function deepgramAccessToken(keys: KeyClient, options: VendorOptions["deepgram"] = {}): DeepgramAccessToken {
  const accessToken = async (): Promise<string> => (await keys.getKey("deepgram", options)).key;
  return withRefusal(keys, "deepgram", accessToken, isKeyRefusal);
}

/** The SDK passes `new Error(event.message)`: the status in Node, an empty message in a browser. */
function isKeyRefusal(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== "string" || message === "") return true;
  return REFUSED_HANDSHAKE.test(message);
}
