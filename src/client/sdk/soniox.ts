import type { KeyClient } from "../index.js";
import { withRefusal } from "./refusal.js";
import type { VendorOptions } from "../vendor-types.js";

/**
 * Helpers for Soniox's browser SDKs, `@soniox/client` and
 * `@soniox/speech-to-text-web`. They only fetch keys from the broker: the
 * client has no dependency on either SDK, so the types below are the few
 * fields the SDKs exchange with them.
 */

/** Broker options for each Soniox key. `usage_type` is not among them: it follows what the SDK asks for. */
export type SonioxKeyOptions = Omit<VendorOptions["soniox"], "usage_type">;

/**
 * Where `@soniox/client` connects, as its `SonioxConnectionConfig` names it:
 * a `region` (`"eu"`, `"jp"`; none for the US), a `base_domain`, or explicit
 * URLs. Use the region of the Soniox account the broker mints keys from.
 */
export interface SonioxEndpoints {
  region?: string | undefined;
  base_domain?: string | undefined;
  api_domain?: string | undefined;
  stt_ws_url?: string | undefined;
  tts_api_url?: string | undefined;
  tts_ws_url?: string | undefined;
}

/** What `@soniox/client` passes to its `config` function: what the key will be used for. */
export interface SonioxConfigContext {
  usage?: "transcribe_websocket" | "tts_rt" | undefined;
}

/** What the `config` function returns to `@soniox/client`: a key, and the endpoints the app configured. */
export interface SonioxConnection extends SonioxEndpoints {
  api_key: string;
}

/** `@soniox/client`'s `config` option, with `refused` for the recording's errors. */
export interface SonioxConfig {
  (context?: SonioxConfigContext): Promise<SonioxConnection>;
  /**
   * Pass the SDK's errors here (`recording.on("error", config.refused)`). When
   * Soniox refused the key (an `AuthError`), cached Soniox keys are forgotten so
   * the next call mints a new one; other errors change nothing. True when it forgot.
   */
  refused(error: unknown): boolean;
}

/** `@soniox/speech-to-text-web`'s `apiKey` option, with `refused` shaped like its `onError` callback. */
export interface SonioxApiKey {
  (): Promise<string>;
  /**
   * Pass the SDK's `onError` arguments here (`onError: apiKey.refused`, or call
   * it from your own `onError`). When Soniox refused the key (`api_error` with
   * code 401), cached Soniox keys are forgotten so the next `start()` mints a
   * new one; other errors change nothing. True when it forgot.
   */
  refused(status: string, message?: string, errorCode?: number): boolean;
}

/** Soniox's WebSocket error code for a refused key, which `@soniox/client` raises as an `AuthError`. */
const SONIOX_AUTH_ERROR_CODE = 401;

/**
 * `@soniox/client`'s `config` option. The SDK calls it once per recording and
 * again on each reconnect, with `ctx.usage` saying what the key is for; each
 * call gets a key of that `usage_type` (`"tts_rt"` for text-to-speech,
 * otherwise `"transcribe_websocket"`) and returns it with the region or URLs
 * given here. Keys are single-use unless `single_use: false` is passed, so
 * every connection gets a fresh one.
 *
 * ```ts
 * const config = sonioxConfig(keys, { region: "eu", ttl_seconds: 60 });
 * const client = new SonioxClient({ config });
 * const recording = client.realtime.record({ model: "stt-rt-v3" });
 * recording.on("error", config.refused); // a refused key is forgotten, so the next recording mints another
 * ```
 */
export function sonioxConfig(keys: KeyClient, options: SonioxKeyOptions & SonioxEndpoints = {}): SonioxConfig {
  const { region, base_domain, api_domain, stt_ws_url, tts_api_url, tts_ws_url, ...keyOptions } = options;
  const endpoints: SonioxEndpoints = { region, base_domain, api_domain, stt_ws_url, tts_api_url, tts_ws_url };
  const config = async (context?: SonioxConfigContext): Promise<SonioxConnection> => {
    const { key } = await keys.getKey("soniox", {
      ...singleUseByDefault(keyOptions),
      usage_type: context?.usage ?? "transcribe_websocket",
    });
    return { ...endpoints, api_key: key };
  };
  return withRefusal(
    keys,
    "soniox",
    config,
    (error: unknown) => (error as { code?: unknown } | null)?.code === "auth_error",
  );
}

/**
 * `@soniox/speech-to-text-web`'s `apiKey` option: the SDK calls it on each
 * `start()`, once the WebSocket is open, and sends the key it returns. Keys
 * are for real-time transcription and single-use unless `single_use: false`.
 * The WebSocket URL is the SDK's own `webSocketUri` option.
 *
 * ```ts
 * const apiKey = sonioxApiKey(keys, { ttl_seconds: 60 });
 * const client = new SonioxClient({ apiKey, onError: apiKey.refused });
 * ```
 */
export function sonioxApiKey(keys: KeyClient, options: SonioxKeyOptions = {}): SonioxApiKey {
  const apiKey = async (): Promise<string> => {
    const { key } = await keys.getKey("soniox", { ...singleUseByDefault(options), usage_type: "transcribe_websocket" });
    return key;
  };
  return withRefusal(
    keys,
    "soniox",
    apiKey,
    (status: string, _message?: string, errorCode?: number) =>
      status === "api_error" && errorCode === SONIOX_AUTH_ERROR_CODE,
  );
}

/** A fresh key per connection unless the app asked for a reusable one. */
function singleUseByDefault(options: SonioxKeyOptions): SonioxKeyOptions {
  return { ...options, single_use: options.single_use ?? true };
}
