import type { KeyClient } from "../index.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for `@cartesia/cartesia-js` (v4). It only fetches keys from the
 * broker: the client has no dependency on the SDK.
 */

/**
 * The `token` option of `new Cartesia({ token })`: an access token for the
 * APIs in `grants` (default `["stt"]`). The SDK sends it as `Authorization: Bearer`
 * over HTTP and as `access_token`, with `cartesia_version`, on a browser's
 * WebSocket. A token opens any number of connections until it expires, so the
 * client reuses one until shortly before then; construct a new `Cartesia` with
 * a new `await cartesiaToken(keys)` when it does.
 *
 * ```ts
 * const cartesia = new Cartesia({ token: await cartesiaToken(keys, { grants: ["tts"] }) });
 * ```
 */
export async function cartesiaToken(keys: KeyClient, options: VendorOptions["cartesia"] = {}): Promise<string> {
  return (await keys.getKey("cartesia", options)).key;
}
