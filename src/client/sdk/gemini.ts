import type { KeyClient } from "../index.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for `@google/genai` Live (Gemini Developer API). It only fetches
 * keys from the broker: the client has no dependency on the SDK.
 */

/** Google's own host; `connect.endpoint` names another one only when the broker's base URL is overridden. */
const GOOGLE_WEBSOCKET_ORIGIN = "wss://generativelanguage.googleapis.com";

/** The options of `new GoogleGenAI(options)` for a Live session with an ephemeral token. */
export interface GeminiLiveOptions {
  /** The ephemeral token (`auth_tokens/…`), which the SDK sends as `access_token` on the Constrained method. */
  apiKey: string;
  httpOptions: {
    /** Ephemeral tokens work on `v1alpha` only. */
    apiVersion: "v1alpha";
    /** Set only when the broker points Gemini at another host (a regional host, or the emulator). */
    baseUrl?: string;
  };
}

/**
 * The options of `new GoogleGenAI(options)` for `ai.live.connect(…)`: the
 * ephemeral token as the SDK's `apiKey`, on `v1alpha`. Given a key starting
 * with `auth_tokens/`, the SDK opens the Live API's `BidiGenerateContentConstrained`
 * method with `?access_token=`, the only place Gemini takes it; the token is
 * refused by every other Gemini call.
 *
 * A token opens `uses` sessions (1 unless asked for); a one-use token is marked
 * `single_use` and never cached, so each call mints a new one. Construct a new
 * `GoogleGenAI` for each session with a new `await geminiLiveOptions(keys)`.
 *
 * ```ts
 * const ai = new GoogleGenAI(await geminiLiveOptions(keys, { model: "gemini-live-2.5-flash-preview" }));
 * const session = await ai.live.connect({ model: "gemini-live-2.5-flash-preview", callbacks });
 * ```
 */
export async function geminiLiveOptions(
  keys: KeyClient,
  options: VendorOptions["gemini"] = {},
): Promise<GeminiLiveOptions> {
  const minted = await keys.getKey("gemini", options);
  const httpOptions: GeminiLiveOptions["httpOptions"] = { apiVersion: "v1alpha" };
  const endpoint = minted.connect?.endpoint;
  if (endpoint) {
    const origin = new URL(endpoint).origin;
    // The SDK derives its WebSocket host from the HTTP base URL, turning `http:` into `ws:`.
    if (origin !== GOOGLE_WEBSOCKET_ORIGIN) httpOptions.baseUrl = origin.replace(/^ws/, "http");
  }
  return { apiKey: minted.key, httpOptions };
}
