import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { misconfigured } from "../errors";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://developers.openai.com/api/reference/resources/realtime/subresources/client_secrets/methods/create */
const DEFAULT_BASE_URL = "https://api.openai.com";
const PATH = "/v1/realtime/client_secrets";
/** WebRTC: the client posts its SDP offer here. */
const CALLS_ENDPOINT = "https://api.openai.com/v1/realtime/calls";

const MODEL_RULE = "model must be at most 64 characters of a-z, 0-9, '.' and '-'";

const fields = {
  session_type: z._default(z.enum(["realtime", "transcription"]), "realtime"),
  model: z.optional(z.string().check(z.maxLength(64, MODEL_RULE), z.regex(/^[a-z0-9.-]+$/, MODEL_RULE))),
};

type OpenAiOptions = z.output<z.ZodMiniObject<typeof fields>>;

const createdSecret = z.object({
  value: z.string().check(z.minLength(1)),
  /** Epoch seconds. */
  expires_at: z.number().check(z.positive()),
});

const errorBody = z.object({ error: z.object({ message: z.optional(z.nullable(z.string())) }) });

/**
 * The session the secret is for, and nothing else. A realtime session takes
 * `model`; a transcription session has no `model` of its own and takes its
 * transcription model at `audio.input.transcription.model`.
 */
function sessionFor({ session_type, model }: OpenAiOptions) {
  if (model === undefined) return { type: session_type };
  return session_type === "realtime"
    ? { type: session_type, model }
    : { type: session_type, audio: { input: { transcription: { model } } } };
}

export const openai = {
  name: "openai",
  ttl: { min: 10, max: 7200, default: 600 },
  secretVars: ["OPENAI_API_KEY"],
  credential:
    "a Realtime client secret that can open several sessions (WebRTC or WebSocket) until it expires; a session opened before then may run on past it",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    const settings = apiKeySettings(vars, "OPENAI_API_KEY", "OPENAI_BASE_URL", DEFAULT_BASE_URL);
    // The official SDKs' OPENAI_BASE_URL ends in /v1; this one does not, as the broker adds /v1 itself.
    if (settings && /\/v1$/i.test(settings.baseUrl)) {
      throw misconfigured("OPENAI_BASE_URL", "OPENAI_BASE_URL must not end in /v1: the broker adds /v1/realtime/…");
    }
    return settings;
  },

  connect(settings: ApiKeySettings): Connect {
    return {
      transport: "webrtc",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, CALLS_ENDPOINT),
      credential: { in: "header", name: "Authorization", scheme: "Bearer" },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    return parsed.success ? { message: parsed.data.error.message ?? undefined } : {};
  },

  async mint({ settings, options, ttlSeconds, send }: MintInput<ApiKeySettings, OpenAiOptions>): Promise<MintedKey> {
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify({
        expires_after: { anchor: "created_at", seconds: ttlSeconds },
        session: sessionFor(options),
      }),
    });
    const created = parseVendorJson(this.name, reply, createdSecret, { key: "value" });
    return { key: created.value, expiresAt: new Date(created.expires_at * 1000), applied: { ...options } };
  },
} satisfies VendorAdapter<ApiKeySettings, OpenAiOptions>;
