import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor, KEY_PLACEHOLDER } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/**
 * Mistral realtime transcription (Voxtral) client sessions, as @mistralai/mistralai
 * `realtime.sessions.create` sends them.
 * @see https://docs.mistral.ai/studio/audio/speech_to_text/realtime_transcription/client_auth
 * @see https://docs.mistral.ai/api/endpoint/realtime/sessions
 */
const DEFAULT_BASE_URL = "https://api.mistral.ai";
const PATH = "/v1/client/sessions";
const REALTIME_ENDPOINT = "wss://api.mistral.ai/v1/audio/transcriptions/realtime";

/** The realtime transcription models Mistral documents for client sessions. */
export const MISTRAL_MODELS = ["voxtral-mini-transcribe-realtime-2602"] as const;

const fields = {
  /** The model the token is scoped to; the client must open the same model. */
  model: z._default(z.enum(MISTRAL_MODELS), "voxtral-mini-transcribe-realtime-2602"),
};

type MistralOptions = z.output<z.ZodMiniObject<typeof fields>>;

/** 201 `{object: "client.session", purpose, expires_at, client_secret: {value: "rt_…", expires_at}}`. */
const clientSession = z.object({
  client_secret: z.object({
    value: z.string().check(z.minLength(1)),
    // Read leniently: a token with a missing or unreadable expiry is issued at Mistral, so the mint
    // refuses it as vendor_credential_refused (expiry.ts), with its fingerprint, rather than losing track of it.
    expires_at: z.optional(z.unknown()),
  }),
});

/** Mistral's error bodies: `{"message", …}`, or FastAPI's 422 `{"detail": [{"msg", …}]}`. */
const errorBody = z.object({
  message: z.optional(z.unknown()),
  detail: z.optional(z.unknown()),
});

function failureMessage(body: z.output<typeof errorBody>): string | undefined {
  if (typeof body.message === "string") return body.message;
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) {
    const first: unknown = body.detail[0];
    if (typeof first === "object" && first !== null && "msg" in first && typeof first.msg === "string") {
      return first.msg;
    }
  }
  return undefined;
}

export const mistral = {
  name: "mistral",
  // Sent as `ttl_seconds`, the field the SDK sends; Mistral states no range, so the broker keeps a narrow one.
  ttl: { min: 60, max: 3600, default: 300 },
  secretVars: ["MISTRAL_API_KEY"],
  credential:
    "an rt_ token that opens Mistral realtime transcription WebSockets for one model until it expires; refused on every other Mistral call",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "MISTRAL_API_KEY", "MISTRAL_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings, options: MistralOptions): Connect {
    // A browser cannot set headers on a WebSocket, so Mistral takes the token as the subprotocols `realtime, rt_…`.
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, REALTIME_ENDPOINT),
      credential: { in: "subprotocols", protocols: ["realtime", KEY_PLACEHOLDER] },
      params: { model: options.model },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    return parsed.success ? { message: failureMessage(parsed.data) } : {};
  },

  async mint({ settings, options, ttlSeconds, send }: MintInput<ApiKeySettings, MistralOptions>): Promise<MintedKey> {
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify({ purpose: "realtime", model: options.model, ttl_seconds: ttlSeconds }),
    });
    // The key is nested, where parseVendorJson's search for a credential in a broken answer does not look.
    const session = parseVendorJson(this.name, reply, clientSession, { key: "client_secret" });
    const { value, expires_at } = session.client_secret;
    // The token's own expiry; a missing, unreadable or too-late one is refused by the mint (expiry.ts).
    return {
      key: value,
      expiresAt: typeof expires_at === "string" ? new Date(expires_at) : null,
      applied: { ...options },
    };
  },
} satisfies VendorAdapter<ApiKeySettings, MistralOptions>;
