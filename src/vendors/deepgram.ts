import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor, KEY_PLACEHOLDER } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, RefusedCredential, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://developers.deepgram.com/reference/auth/tokens/grant */
const DEFAULT_BASE_URL = "https://api.deepgram.com";
const PATH = "/v1/auth/grant";
const LISTEN_ENDPOINT = "wss://api.deepgram.com/v1/listen";

/** The token's scope is fixed by Deepgram (its voice APIs), so the caller has nothing to choose. */
const fields = {};

type DeepgramOptions = z.output<z.ZodMiniObject<typeof fields>>;

const grant = z.object({
  access_token: z.string().check(z.minLength(1)),
  /** Seconds until the JWT expires: a number or null in Deepgram's reference, optional in its SDK's types. */
  expires_in: z.optional(z.nullable(z.number())),
});

/** Deepgram answers errors in two shapes: legacy `err_code`/`err_msg`, and `category`/`message`/`details`. */
const errorBody = z.object({
  err_msg: z.optional(z.string()),
  message: z.optional(z.string()),
  details: z.optional(z.string()),
});

export const deepgram = {
  name: "deepgram",
  ttl: { min: 1, max: 3600, default: 60 },
  secretVars: ["DEEPGRAM_API_KEY"],
  credential: "a JWT for Deepgram's voice APIs (not its Manage APIs), usable for several connections until it expires",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "DEEPGRAM_API_KEY", "DEEPGRAM_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings): Connect {
    // A browser cannot set headers on a WebSocket, so @deepgram/sdk sends the JWT as the subprotocols `bearer, <jwt>`.
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, LISTEN_ENDPOINT),
      credential: { in: "subprotocols", protocols: ["bearer", KEY_PLACEHOLDER] },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { err_msg, message, details } = parsed.data;
    return { message: err_msg ?? [message, details].filter(Boolean).join(": ") };
  },

  async mint({ settings, ttlSeconds, now, send }: MintInput<ApiKeySettings, DeepgramOptions>): Promise<MintedKey> {
    const reply = await send({
      url: settings.baseUrl + PATH,
      // Deepgram's API keys go in the `Token` scheme; `Bearer` is for the JWTs it grants.
      headers: { Authorization: `Token ${settings.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ttl_seconds: ttlSeconds }),
    });
    const granted = parseVendorJson(this.name, reply, grant, { key: "access_token" });
    // Deepgram gives a duration, counted here from just before the call so that it never overstates.
    // Without one (absent or null), the token lives the ttl_seconds asked for, as Deepgram documents.
    const lifeSeconds = granted.expires_in ?? ttlSeconds;
    if (!(lifeSeconds > 0)) {
      const why = "expires_in is not a positive number of seconds";
      throw new RefusedCredential(this.name, reply.status, why, { key: granted.access_token });
    }
    return { key: granted.access_token, expiresAt: new Date(now.getTime() + lifeSeconds * 1000), applied: {} };
  },
} satisfies VendorAdapter<ApiKeySettings, DeepgramOptions>;
