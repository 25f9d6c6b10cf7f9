import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://www.assemblyai.com/docs/api-reference/streaming-api/generate-streaming-token */
const DEFAULT_BASE_URL = "https://streaming.assemblyai.com";
const PATH = "/v3/token";
const STREAMING_ENDPOINT = "wss://streaming.assemblyai.com/v3/ws";

const SESSION_RANGE = "max_session_duration_seconds must be an integer from 60 to 10800";

const fields = {
  /** Longest session the token may open; AssemblyAI's own default is 10800 (3 hours). */
  max_session_duration_seconds: z.optional(
    z.int().check(z.minimum(60, SESSION_RANGE), z.maximum(10_800, SESSION_RANGE)),
  ),
};

type AssemblyAiOptions = z.output<z.ZodMiniObject<typeof fields>>;

const createdToken = z.object({
  token: z.string().check(z.minLength(1)),
  /** The redemption window AssemblyAI granted; documented as always present, read as optional. */
  expires_in_seconds: z.optional(z.int().check(z.positive())),
});

/** AssemblyAI's error body: `{"error": "...", "code"?: "...", "details"?: {...}}`. */
const errorBody = z.object({ error: z.string() });

export const assemblyai = {
  name: "assemblyai",
  ttl: { min: 1, max: 600, default: 60 },
  secretVars: ["ASSEMBLYAI_API_KEY"],
  credential:
    "single use: opens one streaming session, which must start before it expires and lasts at most max_session_duration_seconds (3 hours unless set)",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "ASSEMBLYAI_API_KEY", "ASSEMBLYAI_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings): Connect {
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, STREAMING_ENDPOINT),
      credential: { in: "query", name: "token" },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    return parsed.success ? { message: parsed.data.error } : {};
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    now,
    send,
  }: MintInput<ApiKeySettings, AssemblyAiOptions>): Promise<MintedKey> {
    const query = new URLSearchParams({ expires_in_seconds: String(ttlSeconds) });
    // Sent only when asked for, as the vendor's SDK does; AssemblyAI then applies its 3-hour cap.
    if (options.max_session_duration_seconds !== undefined) {
      query.set("max_session_duration_seconds", String(options.max_session_duration_seconds));
    }
    const reply = await send({
      method: "GET",
      url: `${settings.baseUrl}${PATH}?${query}`,
      // No scheme: AssemblyAI takes the bare key. Its SDK sends the JSON content type on this GET too.
      headers: { Authorization: settings.apiKey, "Content-Type": "application/json" },
    });
    const created = parseVendorJson(this.name, reply, createdToken, { key: "token" });
    // Only a duration comes back, so the expiry counts from `now`, taken before the call: it never overstates.
    const seconds = created.expires_in_seconds ?? ttlSeconds;
    return {
      key: created.token,
      expiresAt: new Date(now.getTime() + seconds * 1000),
      // Every streaming token opens one session; saying so keeps clients from caching or sharing it.
      applied: { ...options, single_use: true },
    };
  },
} satisfies VendorAdapter<ApiKeySettings, AssemblyAiOptions>;
