import * as z from "zod/mini";
import type { VarReader } from "../config";
import { misconfigured } from "../errors";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/**
 * @see https://docs.cartesia.ai/api-reference/auth/access-token
 * @see https://docs.cartesia.ai/get-started/authenticate-your-client-applications
 */
const DEFAULT_BASE_URL = "https://api.cartesia.ai";
const PATH = "/access-token";
/** The `Cartesia-Version` that @cartesia/cartesia-js 4.2 sends (src/client.ts `buildHeaders`). */
export const CARTESIA_DEFAULT_VERSION = "2026-08-14";
/** Where a browser opens each granted API, with `access_token` and `cartesia_version` in the query. */
const STT_ENDPOINT = "wss://api.cartesia.ai/stt/websocket";
const TTS_ENDPOINT = "wss://api.cartesia.ai/tts/websocket";

/** The APIs a Cartesia access token can grant. */
export const CARTESIA_GRANTS = ["tts", "stt", "agent"] as const;

const fields = {
  // A set: each grant at most once (`uniqueItems` tells the OpenAPI document so).
  grants: z._default(
    z
      .array(z.enum(CARTESIA_GRANTS))
      .check(
        z.minLength(1, "grants must name at least one of tts, stt, agent"),
        z.refine((grants) => new Set(grants).size === grants.length, "grants must not name a grant twice"),
      )
      .register(z.globalRegistry, { uniqueItems: true }),
    () => ["stt" as const],
  ),
};

type CartesiaOptions = z.output<z.ZodMiniObject<typeof fields>>;

export interface CartesiaSettings extends ApiKeySettings {
  /** The `Cartesia-Version` date sent with the call and named in `connect`. */
  version: string;
}

const createdToken = z.object({ token: z.string().check(z.minLength(1)) });

/** Cartesia's error body ("API Errors"): `{"error_code", "title", "message", "request_id", "doc_url"?}`. */
const errorBody = z.object({ title: z.optional(z.string()), message: z.optional(z.string()) });

export const cartesia = {
  name: "cartesia",
  ttl: { min: 60, max: 3600, default: 600 },
  secretVars: ["CARTESIA_API_KEY"],
  credential:
    "an access token for the granted Cartesia APIs (tts, stt, agent), usable for several connections until it expires",
  fields,

  settings(vars: VarReader): CartesiaSettings | undefined {
    const settings = apiKeySettings(vars, "CARTESIA_API_KEY", "CARTESIA_BASE_URL", DEFAULT_BASE_URL);
    if (!settings) return undefined;
    const version = vars.optional("CARTESIA_VERSION") ?? CARTESIA_DEFAULT_VERSION;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(version) || Number.isNaN(Date.parse(`${version}T00:00:00Z`))) {
      throw misconfigured("CARTESIA_VERSION", "Cartesia: CARTESIA_VERSION must be a date such as 2026-08-14");
    }
    return { ...settings, version };
  },

  connect(settings: CartesiaSettings, options: CartesiaOptions): Connect {
    // A browser cannot set headers on a WebSocket, so the SDK puts both the token and the version in the query.
    const grants = new Set(options.grants);
    const endpoint = grants.has("stt") ? STT_ENDPOINT : grants.has("tts") ? TTS_ENDPOINT : null;
    return {
      transport: "websocket",
      // An agent-only token opens the app's own agent call, which has no fixed URL.
      endpoint: endpoint && endpointFor(settings.baseUrl, DEFAULT_BASE_URL, endpoint),
      credential: { in: "query", name: "access_token" },
      params: { cartesia_version: settings.version },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { title, message } = parsed.data;
    return { message: message ?? title };
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    now,
    send,
  }: MintInput<CartesiaSettings, CartesiaOptions>): Promise<MintedKey> {
    const grants = new Set(options.grants);
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        "Cartesia-Version": settings.version,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      // Every grant is named, true or false, so that Cartesia never applies a default of its own.
      body: JSON.stringify({
        grants: { tts: grants.has("tts"), stt: grants.has("stt"), agent: grants.has("agent") },
        expires_in: ttlSeconds,
      }),
    });
    const created = parseVendorJson(this.name, reply, createdToken, { key: "token" });
    // Cartesia answers the token only: it lives expires_in seconds, counted from just before the call.
    return {
      key: created.token,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      applied: { ...options },
    };
  },
} satisfies VendorAdapter<CartesiaSettings, CartesiaOptions>;
