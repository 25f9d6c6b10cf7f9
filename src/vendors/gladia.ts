import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import type { Connect } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, RefusedCredential, tryJson, type VendorFailureReading } from "./upstream";

/**
 * Gladia live v2 sessions, as @gladiaio/sdk `LiveV2Session` creates them.
 * @see https://docs.gladia.io/api-reference/v2/live/init
 */
const DEFAULT_BASE_URL = "https://api.gladia.io";
const PATH = "/v2/live";
/**
 * Gladia documents no lifetime for a session's URL; the broker answers a fixed
 * 5 minutes, counted from just before the call, so that a client never holds a
 * URL past what the broker can vouch for (a session already open is not cut).
 */
const FIXED_LIFE_SECONDS = 300;
/** The query parameter of the session's URL that carries its temporary token. */
const TOKEN_PARAM = "token";

/** `LiveV2TranscriptionLanguageCode` in @gladiaio/sdk 2.1 (src/v2/live/generated-types.ts). */
const LANGUAGES = new Set(
  "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split(
    " ",
  ),
);
const LANGUAGES_RULE = "languages must be Gladia language codes, comma-separated and each at most once (en or en,fr)";
const CHANNELS_RULE = "channels must be an integer from 1 to 8";
const BIT_DEPTH_RULE = "wav/alaw and wav/ulaw audio has a bit_depth of 8";

function languageList(text: string): string[] {
  return text.split(",");
}

const fields = {
  /** `LiveV2Encoding`. */
  encoding: z._default(z.enum(["wav/pcm", "wav/alaw", "wav/ulaw"]), "wav/pcm"),
  /** `LiveV2BitDepth`. */
  bit_depth: z._default(z.literal([8, 16, 24, 32]), 16),
  /** `LiveV2SampleRate`. */
  sample_rate: z._default(z.literal([8000, 16000, 32000, 44100, 48000]), 16000),
  channels: z._default(z.int().check(z.minimum(1, CHANNELS_RULE), z.maximum(8, CHANNELS_RULE)), 1),
  /** `LiveV2Model`. */
  model: z._default(z.enum(["solaria-1"]), "solaria-1"),
  /** `language_config.languages`, comma-separated; unset, Gladia detects the language. */
  languages: z.optional(
    z.string().check(
      z.refine((text) => {
        const list = languageList(text);
        return new Set(list).size === list.length && list.every((code) => LANGUAGES.has(code));
      }, LANGUAGES_RULE),
    ),
  ),
};

type GladiaOptions = z.output<z.ZodMiniObject<typeof fields>>;

/** `LiveV2InitResponse`: the session's `id` and the `url` carrying its temporary token. */
const initResponse = z.object({ id: z.string().check(z.minLength(1)), url: z.string().check(z.minLength(1)) });

/** Gladia's error body: `{"timestamp", "path", "request_id", "statusCode", "message", "validation_errors"?}`. */
const errorBody = z.object({
  message: z.optional(z.string()),
  validation_errors: z.optional(z.array(z.string())),
});

export const gladia = {
  name: "gladia",
  ttl: { min: FIXED_LIFE_SECONDS, max: FIXED_LIFE_SECONDS, default: FIXED_LIFE_SECONDS },
  secretVars: ["GLADIA_API_KEY"],
  credential:
    "a URL that opens one Gladia live session with the audio settings it was minted with (single use: never cached or shared); Gladia documents no lifetime, so the broker answers a fixed 5 minutes",
  fields,

  checkOptions(options: GladiaOptions): string | undefined {
    return options.encoding !== "wav/pcm" && options.bit_depth !== 8 ? BIT_DEPTH_RULE : undefined;
  },

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "GLADIA_API_KEY", "GLADIA_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(): Connect {
    // Each session has its own URL, with the token inside: the client opens it as given.
    return { transport: "websocket", endpoint: null, credential: { in: "url" } };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { message, validation_errors } = parsed.data;
    return { message: [message, ...(validation_errors ?? [])].filter(Boolean).join(": ") || undefined };
  },

  async mint({
    settings,
    options,
    clientRef,
    now,
    send,
  }: MintInput<ApiKeySettings, GladiaOptions>): Promise<MintedKey> {
    const expiresAt = new Date(now.getTime() + FIXED_LIFE_SECONDS * 1000);
    const { languages, ...audio } = options;
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: { "x-gladia-key": settings.apiKey, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        ...audio,
        ...(languages === undefined ? {} : { language_config: { languages: languageList(languages) } }),
        // As @gladiaio/sdk sends it: the SDK drops audio from its resend buffer only once Gladia acknowledges it.
        messages_config: { receive_acknowledgments: true },
        // Gladia's own records of the session then name the user.
        custom_metadata: { client_ref: clientRef },
      }),
    });
    // The schema asks for nothing but the id and the URL, so an answer it refuses holds no credential.
    const { id, url } = parseVendorJson(this.name, reply, initResponse, { key: "url", vendorKeyId: "id" });
    const { token, refusal } = readSessionUrl(url, settings.baseUrl);
    if (token === undefined) {
      const why = "url is not a URL carrying a token";
      throw new RefusedCredential(this.name, reply.status, why, { key: url, vendorKeyId: id });
    }
    if (refusal !== undefined) {
      throw new RefusedCredential(this.name, reply.status, refusal, { key: token, vendorKeyId: id });
    }
    // One URL is one live session, so the client never caches or shares it. The session id is no
    // credential: the SDK's connectSession names the session by it.
    const applied = { ...options, session_id: id, single_use: true };
    return { key: token, url, expiresAt, applied, vendorKeyId: id };
  },
} satisfies VendorAdapter<ApiKeySettings, GladiaOptions>;

/**
 * The token inside a session's URL, and why the URL is refused, if it is: the app's users open it
 * as given, so it must be `wss:` (`ws:` when the broker talks to Gladia over plain `http:`, the
 * emulator), on the broker's Gladia host and port, without a user name, and carry one token.
 */
function readSessionUrl(sessionUrl: string, baseUrl: string): { token?: string; refusal?: string } {
  let url: URL;
  try {
    url = new URL(sessionUrl);
  } catch {
    return {};
  }
  const token = url.searchParams.get(TOKEN_PARAM) || undefined;
  const base = new URL(baseUrl);
  const rules: [boolean, string][] = [
    [url.protocol === "wss:" || (url.protocol === "ws:" && base.protocol === "http:"), "url is not wss:"],
    [url.username === "" && url.password === "", "url carries a user name or password"],
    [url.hostname === base.hostname && portOf(url) === portOf(base), "url is on another host or port"],
    [url.searchParams.getAll(TOKEN_PARAM).length === 1, `url carries more than one ${TOKEN_PARAM}`],
  ];
  return { token, refusal: rules.find(([kept]) => !kept)?.[1] };
}

/** The port a URL connects to: its own, or its scheme's default. */
function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" || url.protocol === "wss:" ? "443" : "80");
}
