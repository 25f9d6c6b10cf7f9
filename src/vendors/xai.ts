import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor, KEY_PLACEHOLDER } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/**
 * @see https://docs.x.ai/developers/model-capabilities/audio/ephemeral-tokens
 * @see https://docs.x.ai/developers/rest-api-reference/inference/voice
 */
const DEFAULT_BASE_URL = "https://api.x.ai";
const PATH = "/v1/realtime/client_secrets";
/** The Voice Agent WebSocket; a browser passes the secret as the subprotocol `xai-client-secret.<secret>`. */
const REALTIME_ENDPOINT = "wss://api.x.ai/v1/realtime";

const fields = {};

type XaiOptions = z.output<z.ZodMiniObject<typeof fields>>;

const createdSecret = z.object({
  value: z.string().check(z.minLength(1)),
  /** Epoch seconds. */
  expires_at: z.number().check(z.positive()),
});

/** xAI answers errors OpenAI's way, `{"error": {"message"}}`, or as `{"error": "<message>"}`. */
const errorBody = z.object({
  error: z.union([z.string(), z.object({ message: z.optional(z.nullable(z.string())) })]),
});

export const xai = {
  name: "xai",
  // xAI documents no range (its example asks for 300 s): the broker keeps a narrow one inside OpenAI's 10..7200.
  ttl: { min: 60, max: 3600, default: 300 },
  secretVars: ["XAI_API_KEY"],
  credential:
    "a Voice Agent client secret that opens realtime WebSocket sessions until it expires; it carries no session config",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "XAI_API_KEY", "XAI_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings): Connect {
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, REALTIME_ENDPOINT),
      credential: { in: "subprotocols", protocols: [`xai-client-secret.${KEY_PLACEHOLDER}`] },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { error } = parsed.data;
    return { message: typeof error === "string" ? error : (error.message ?? undefined) };
  },

  async mint({ settings, ttlSeconds, send }: MintInput<ApiKeySettings, XaiOptions>): Promise<MintedKey> {
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      // Only expires_after.seconds: xAI refuses `session` and `expires_after.anchor`.
      body: JSON.stringify({ expires_after: { seconds: ttlSeconds } }),
    });
    const created = parseVendorJson(this.name, reply, createdSecret, { key: "value" });
    return { key: created.value, expiresAt: new Date(created.expires_at * 1000), applied: {} };
  },
} satisfies VendorAdapter<ApiKeySettings, XaiOptions>;
