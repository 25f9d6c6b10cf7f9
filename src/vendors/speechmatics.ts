import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://docs.speechmatics.com/get-started/authentication#temporary-keys */
const DEFAULT_BASE_URL = "https://mp.speechmatics.com";
const PATH = "/v1/api_keys";
/** Speechmatics' default real-time host (EU); an rt key goes in its URL as `jwt`. */
const RT_ENDPOINT = "wss://global.rt.speechmatics.com/v2";

const fields = {
  type: z._default(z.enum(["rt", "batch"]), "rt"),
  region: z.optional(z.enum(["eu", "usa", "au"])),
};

type SpeechmaticsOptions = z.output<z.ZodMiniObject<typeof fields>>;

const createdKey = z.object({ key_value: z.string().check(z.minLength(1)) });

const errorBody = z.object({
  detail: z.optional(z.string()),
  message: z.optional(z.string()),
  error: z.optional(z.string()),
});

export const speechmatics = {
  name: "speechmatics",
  ttl: { min: 60, max: 3600, default: 300 },
  secretVars: ["SPEECHMATICS_API_KEY"],
  credential: "usable for several sessions until it expires; a batch key only reaches jobs with the user's client_ref",
  fields,

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "SPEECHMATICS_API_KEY", "SPEECHMATICS_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings, options: SpeechmaticsOptions): Connect {
    if (options.type === "batch") {
      // The batch jobs API's host depends on the account's region, so there is no one endpoint.
      return {
        transport: "http",
        endpoint: null,
        credential: { in: "header", name: "Authorization", scheme: "Bearer" },
      };
    }
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, RT_ENDPOINT),
      credential: { in: "query", name: "jwt" },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    return { message: parsed.data.detail ?? parsed.data.message ?? parsed.data.error };
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    clientRef,
    now,
    send,
  }: MintInput<ApiKeySettings, SpeechmaticsOptions>): Promise<MintedKey> {
    // client_ref goes on rt keys too: rt ignores it, and it keeps every key traceable to its user.
    // region is sent with rt as well, as Speechmatics' own SDK (@speechmatics/auth) does.
    const reply = await send({
      url: `${settings.baseUrl}${PATH}?type=${options.type}`,
      headers: { Authorization: `Bearer ${settings.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ttl: ttlSeconds, client_ref: clientRef, region: options.region }),
    });
    const created = parseVendorJson(this.name, reply, createdKey, { key: "key_value" });
    return {
      key: created.key_value,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      applied: { ...options },
    };
  },
} satisfies VendorAdapter<ApiKeySettings, SpeechmaticsOptions>;
