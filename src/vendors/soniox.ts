import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://soniox.com/docs/api-reference/auth/create_temporary_api_key */
const DEFAULT_BASE_URL = "https://api.soniox.com";
const PATH = "/v1/auth/temporary-api-key";
/** Where each usage_type's key is used; the key goes as `api_key` in the first JSON message. */
const ENDPOINTS = {
  transcribe_websocket: "wss://stt-rt.soniox.com/transcribe-websocket",
  tts_rt: "wss://tts-rt.soniox.com/tts-websocket",
};

const fields = {
  usage_type: z._default(z.enum(["transcribe_websocket", "tts_rt"]), "transcribe_websocket"),
  single_use: z.optional(z.boolean()),
  max_session_duration_seconds: z.optional(z.int().check(z.minimum(1), z.maximum(18_000))),
};

type SonioxOptions = z.output<z.ZodMiniObject<typeof fields>>;

const createdKey = z.object({
  api_key: z.string().check(z.minLength(1)),
  expires_at: z.iso.datetime({ offset: true }),
});

const errorBody = z.object({
  message: z.optional(z.string()),
  validation_errors: z.optional(
    z.array(z.object({ location: z.optional(z.string()), message: z.optional(z.string()) })),
  ),
});

export const soniox = {
  name: "soniox",
  ttl: { min: 1, max: 3600, default: 300 },
  secretVars: ["SONIOX_API_KEY"],
  credential: "usable for several sessions until it expires, or for one connection with single_use",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "SONIOX_API_KEY", "SONIOX_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings, options: SonioxOptions): Connect {
    // A regional API host (api.eu.soniox.com) streams from its stt-rt./tts-rt. sibling.
    const prefix = options.usage_type === "tts_rt" ? "tts-rt." : "stt-rt.";
    const host = (apiHost: string) => apiHost.replace(/^api\./, prefix);
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, ENDPOINTS[options.usage_type], host),
      credential: { in: "message", field: "api_key" },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const details = (parsed.data.validation_errors ?? [])
      .map((e) => [e.location?.replace(/^body\.payload\./, ""), e.message].filter(Boolean).join(": "))
      .filter(Boolean);
    return { message: details.length > 0 ? details.join("; ") : parsed.data.message };
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    clientRef,
    send,
  }: MintInput<ApiKeySettings, SonioxOptions>): Promise<MintedKey> {
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: { Authorization: `Bearer ${settings.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ...options, expires_in_seconds: ttlSeconds, client_reference_id: clientRef }),
    });
    const created = parseVendorJson(this.name, reply, createdKey, { key: "api_key" });
    return { key: created.api_key, expiresAt: new Date(created.expires_at), applied: { ...options } };
  },
} satisfies VendorAdapter<ApiKeySettings, SonioxOptions>;
