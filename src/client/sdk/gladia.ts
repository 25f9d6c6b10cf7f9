import type { KeyClient } from "../index.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for `@gladiaio/sdk` (v2). It only fetches keys from the broker: the
 * client has no dependency on the SDK.
 */

/** What `connectSession` of `@gladiaio/sdk`'s live client takes: the session's id and its WebSocket URL. */
export interface GladiaSession {
  id: string;
  url: string;
}

/**
 * A Gladia live session created by the broker with these audio settings, for
 * `gladia.liveV2().connectSession(await gladiaSession(keys, { … }))`. The URL
 * carries the session's token and opens that one session, so each call mints a
 * new one (never cached). The SDK needs an `apiUrl` off `*.gladia.io` when it
 * holds no API key; `connectSession` makes no HTTP call to it.
 *
 * ```ts
 * const gladia = new GladiaClient({ apiUrl: "https://keys.example.com" });
 * const session = gladia.liveV2().connectSession(await gladiaSession(keys, { languages: "en" }));
 * ```
 */
export async function gladiaSession(keys: KeyClient, options: VendorOptions["gladia"] = {}): Promise<GladiaSession> {
  const minted = await keys.getKey("gladia", options);
  const { session_id: id } = minted;
  if (typeof id !== "string" || minted.url === undefined) {
    throw new Error("the broker answered a Gladia key without its session id and URL");
  }
  return { id, url: minted.url };
}
