import type { KeyClient } from "../index.js";
import { withRefusal } from "./refusal.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for `@speechmatics/real-time-client`. It only fetches keys from the
 * broker: the client has no dependency on the SDK.
 */

/** Broker options for each Speechmatics key; the key type is always `rt`. */
export type SpeechmaticsKeyOptions = Omit<VendorOptions["speechmatics"], "type">;

/** The key for `RealtimeClient.start(jwt, config)`, with `refused` for what `start` rejects with. */
export interface SpeechmaticsJwt {
  (): Promise<string>;
  /**
   * Pass what `client.start()` rejected with. When Speechmatics refused the
   * key, cached Speechmatics keys are forgotten so the next call mints a new
   * one; other failures change nothing. True when it forgot.
   */
  refused(reason: unknown): boolean;
}

/** The `Error` message type Speechmatics sends for a key it does not accept; `start()` rejects with `Error(type)`. */
const NOT_AUTHORISED = "not_authorised";
/** Node's `ws` names the refused handshake's status in its error message: "Unexpected server response: 401". */
const REFUSED_HANDSHAKE = /\b40[13]\b/;

/**
 * The key string for `@speechmatics/real-time-client`'s `start(jwt, config)`.
 * Speechmatics keys are multi-use, so the client reuses one until shortly
 * before it expires (`ttl_seconds` is 60 to 3600); the WebSocket URL is the
 * SDK's own `url` option.
 *
 * Speechmatics refuses a key in one of two ways, and `refused` recognises
 * both: an `Error` message of type `not_authorised` after the handshake
 * (`start()` rejects with `Error("not_authorised")`), or a 401 handshake
 * (`start()` rejects with the WebSocket's error event). Node's WebSocket
 * names that status; a browser's error event does not, so in a browser a
 * failed handshake, which may be the refusal, also forgets the key: at worst
 * the next call mints one key more than needed.
 *
 * ```ts
 * const jwt = speechmaticsJwt(keys, { ttl_seconds: 300 });
 * const client = new RealtimeClient({ url: "wss://global.rt.speechmatics.com/v2" });
 * try {
 *   await client.start(await jwt(), { transcription_config: { language: "en" } });
 * } catch (error) {
 *   jwt.refused(error); // a refused key is forgotten, so the next start mints another
 *   throw error;
 * }
 * ```
 */
export function speechmaticsJwt(keys: KeyClient, options: SpeechmaticsKeyOptions = {}): SpeechmaticsJwt {
  const jwt = async (): Promise<string> => (await keys.getKey("speechmatics", { ...options, type: "rt" })).key;
  return withRefusal(keys, "speechmatics", jwt, isKeyRefusal);
}

function isKeyRefusal(reason: unknown): boolean {
  if (reason instanceof Error) return reason.message === NOT_AUTHORISED;
  if (typeof reason !== "object" || reason === null) return false;
  // Otherwise only the socket's error event from a failed handshake can be a refusal.
  const { type, message } = reason as { type?: unknown; message?: unknown };
  if (type !== "error") return false;
  return typeof message === "string" && message !== "" ? REFUSED_HANDSHAKE.test(message) : true;
}
