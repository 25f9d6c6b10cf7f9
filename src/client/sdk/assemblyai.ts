import type { KeyClient } from "../index.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * A helper for the `assemblyai` SDK's `StreamingTranscriber` (streaming v3).
 * It only fetches keys from the broker: the client has no dependency on the SDK.
 */

/**
 * The `token` option of `new StreamingTranscriber({ token, sampleRate })`: a
 * temporary token that opens one session, minted for this call and never
 * cached. A refused token is never handed out again, so each new transcriber,
 * with a new `await assemblyaiToken(keys)`, gets a new one.
 *
 * `ttl_seconds` (1 to 600) is how long the token may wait before the session
 * starts; `max_session_duration_seconds` (60 to 10800) caps the session.
 *
 * ```ts
 * const transcriber = new StreamingTranscriber({ token: await assemblyaiToken(keys), sampleRate: 16_000 });
 * await transcriber.connect();
 * ```
 */
export async function assemblyaiToken(keys: KeyClient, options: VendorOptions["assemblyai"] = {}): Promise<string> {
  // The broker marks these tokens single-use, so the client never caches or shares one.
  return (await keys.getKey("assemblyai", options)).key;
}
