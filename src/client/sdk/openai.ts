import type { KeyClient } from "../index.js";
import { withRefusal } from "./refusal.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for the `openai` SDK's Realtime WebSocket. It only fetches keys
 * from the broker: the client has no dependency on the SDK.
 */

/** The `apiKey` option of `new OpenAI(…)` (its `ApiKeySetter`), with `refused` for the Realtime socket's errors. */
export interface OpenAIApiKey {
  (): Promise<string>;
  /**
   * Pass the Realtime socket's errors here (`rt.on("error", apiKey.refused)`).
   * When OpenAI refused the client secret (the `error` event with code
   * `invalid_api_key` it sends before closing the socket), cached OpenAI
   * secrets are forgotten so the next connection mints a new one; other errors
   * change nothing. True when it forgot.
   */
  refused(error: unknown): boolean;
}

/**
 * The code of the `error` event OpenAI sends, after accepting the upgrade,
 * before it closes a socket whose key it refused (close code 3000).
 */
const INVALID_API_KEY = "invalid_api_key";

/**
 * The `apiKey` option of `new OpenAI({ apiKey, dangerouslyAllowBrowser: true })`
 * for the Realtime WebSocket. `OpenAIRealtimeWebSocket.create(client, { model })`
 * (browsers) and `OpenAIRealtimeWS.create(…)` (Node) call it before each
 * connection. A client secret opens any number of sessions until it expires,
 * so the client reuses one until shortly before then.
 *
 * ```ts
 * const apiKey = openaiApiKey(keys, { model: "gpt-realtime" });
 * const client = new OpenAI({ apiKey, dangerouslyAllowBrowser: true });
 * const rt = await OpenAIRealtimeWebSocket.create(client, { model: "gpt-realtime" });
 * rt.on("error", apiKey.refused); // a refused secret is forgotten, so the next create() mints another
 * ```
 */
export function openaiApiKey(keys: KeyClient, options: VendorOptions["openai"] = {}): OpenAIApiKey {
  const apiKey = async (): Promise<string> => (await keys.getKey("openai", options)).key;
  return withRefusal(keys, "openai", apiKey, isKeyRefusal);
}

/** The SDK's `OpenAIRealtimeError` carries the API's `error` event payload as `error`. */
function isKeyRefusal(error: unknown): boolean {
  const event = (error as { error?: { code?: unknown } | null } | null)?.error;
  return event?.code === INVALID_API_KEY;
}
