import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/**
 * Gemini Developer API ephemeral tokens (not Vertex AI), as @google/genai
 * `ai.authTokens.create` sends them on `v1alpha`.
 * @see https://ai.google.dev/gemini-api/docs/ephemeral-tokens
 */
const DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";
const PATH = "/v1alpha/auth_tokens";
/** The token opens only the Constrained Live method; the plain `BidiGenerateContent` refuses it. */
const LIVE_ENDPOINT =
  "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained";

const USES_RULE = "uses must be an integer from 1 to 10";
const NEW_SESSION_RULE = "new_session_seconds must be an integer from 10 to ttl_seconds";
const MODEL_RULE = "model must be at most 64 characters of a-z, 0-9, '.' and '-'";

const fields = {
  /** How long after the mint a new Live session may start; Gemini's own default is 60 s. */
  new_session_seconds: z._default(
    z.int().check(z.minimum(10, NEW_SESSION_RULE), z.maximum(3600, NEW_SESSION_RULE)),
    60,
  ),
  /** Sessions the token may start. Never 0, which Gemini reads as unlimited. */
  uses: z._default(z.int().check(z.minimum(1, USES_RULE), z.maximum(10, USES_RULE)), 1),
  /** The Live model the token is locked to; unset, the client picks it. */
  model: z.optional(z.string().check(z.maxLength(64, MODEL_RULE), z.regex(/^[a-z0-9.-]+$/, MODEL_RULE))),
};

type GeminiOptions = z.output<z.ZodMiniObject<typeof fields>>;

/** Gemini's `AuthToken`: `name` (`auth_tokens/…`) is the token itself. */
const authToken = z.object({ name: z.string().check(z.minLength(1)) });

/** Google's error body: `{"error": {"code", "message", "status", "details"?}}`. */
const errorBody = z.object({
  error: z.object({
    message: z.string(),
    details: z.optional(z.array(z.object({ reason: z.optional(z.string()) }))),
  }),
});

/** An instant `seconds` after `now`, as Gemini's RFC 3339 timestamps. */
function after(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

export const gemini = {
  name: "gemini",
  ttl: { min: 60, max: 3600, default: 1800 },
  secretVars: ["GEMINI_API_KEY"],
  credential:
    "opens up to `uses` Gemini Live sessions (1 unless set), each started within new_session_seconds, on the Constrained Live method only; refused on every other Gemini call",
  fields,

  checkOptions(options: GeminiOptions, ttlSeconds: number): string | undefined {
    return options.new_session_seconds > ttlSeconds ? NEW_SESSION_RULE : undefined;
  },

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "GEMINI_API_KEY", "GEMINI_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings): Connect {
    // @google/genai opens this method with `?access_token=<name>` when its key starts with `auth_tokens/`.
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, LIVE_ENDPOINT),
      credential: { in: "query", name: "access_token" },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { message, details } = parsed.data.error;
    // Google answers a wrong API key with 400 INVALID_ARGUMENT; only the ErrorInfo reason says so.
    return details?.some((detail) => detail.reason === "API_KEY_INVALID")
      ? { message, credentialsRejected: true }
      : { message };
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    now,
    send,
  }: MintInput<ApiKeySettings, GeminiOptions>): Promise<MintedKey> {
    // The body as the SDK builds it, in its order; a model is pinned and locked by `fieldMask`.
    const body: Record<string, unknown> = {
      expireTime: after(now, ttlSeconds),
      newSessionExpireTime: after(now, options.new_session_seconds),
      uses: options.uses,
    };
    if (options.model !== undefined) {
      body.bidiGenerateContentSetup = { model: `models/${options.model}` };
      body.fieldMask = "model";
    }
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: { "x-goog-api-key": settings.apiKey, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const token = parseVendorJson(this.name, reply, authToken, { key: "name" });
    // Gemini answers no expiry: the token lives to the expireTime sent, counted from `now`, taken before the call.
    return {
      key: token.name,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      // A one-use token opens one session: saying so keeps clients from caching or sharing it.
      applied: options.uses === 1 ? { ...options, single_use: true } : { ...options },
    };
  },
} satisfies VendorAdapter<ApiKeySettings, GeminiOptions>;
