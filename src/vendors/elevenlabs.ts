import * as z from "zod/mini";
import type { VarReader } from "../config";
import { type ApiKeySettings, apiKeySettings } from "./api-key-settings";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, RefusedCredential, tryJson, type VendorFailureReading } from "./upstream";

/**
 * @see https://elevenlabs.io/docs/api-reference/tokens/create (single-use tokens)
 * @see https://elevenlabs.io/docs/eleven-agents/api-reference/conversations/get-signed-url (agent signed URLs)
 */
const DEFAULT_BASE_URL = "https://api.elevenlabs.io";
const TOKEN_PATH = "/v1/single-use-token/";
const SIGNED_URL_PATH = "/v1/convai/conversation/get-signed-url";
/** Where a signed URL must lead: the agent conversation socket. */
const CONVERSATION_PATH = "/v1/convai/conversation";
/** ElevenLabs fixes both lives: a token must be used, and an agent conversation started, within 15 minutes. */
const FIXED_LIFE_SECONDS = 900;
/** The query parameter of a signed URL that carries its credential. */
const SIGNATURE_PARAM = "conversation_signature";
/** Where each token kind is used, and the query parameter that carries it. */
const TOKEN_USE = {
  realtime_scribe: { endpoint: "wss://api.elevenlabs.io/v1/speech-to-text/realtime", name: "token" },
  tts_websocket: {
    endpoint: "wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input",
    name: "single_use_token",
  },
};
const AGENT_ID_CHARS = /^[A-Za-z0-9_-]+$/;
const AGENT_ID_RULE = "agent_id must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -";

const fields = {
  kind: z._default(z.enum(["realtime_scribe", "tts_websocket", "agent"]), "realtime_scribe"),
  agent_id: z.optional(
    z
      .string()
      .check(z.minLength(1, AGENT_ID_RULE), z.maxLength(64, AGENT_ID_RULE), z.regex(AGENT_ID_CHARS, AGENT_ID_RULE)),
  ),
};

type ElevenLabsOptions = z.output<z.ZodMiniObject<typeof fields>>;

const singleUseToken = z.object({ token: z.string().check(z.minLength(1)) });

const signedUrl = z.object({ signed_url: z.string().check(z.minLength(1)) });

/** FastAPI's errors: `{"detail": {"status", "message"}}`, or a list of `{"loc", "msg"}` for a 422. */
const errorBody = z.object({
  detail: z.union([
    z.string(),
    z.object({ status: z.optional(z.string()), message: z.optional(z.string()) }),
    z.array(z.object({ loc: z.optional(z.array(z.union([z.string(), z.number()]))), msg: z.optional(z.string()) })),
  ]),
});

/** Where in the request a validation error points, without FastAPI's `body`/`query`/`path` prefix. */
function location(loc: (string | number)[] | undefined): string {
  const [first, ...rest] = loc ?? [];
  return (first === "body" || first === "query" || first === "path" ? rest : (loc ?? [])).join(".");
}

export const elevenlabs = {
  name: "elevenlabs",
  ttl: { min: FIXED_LIFE_SECONDS, max: FIXED_LIFE_SECONDS, default: FIXED_LIFE_SECONDS },
  secretVars: ["ELEVENLABS_API_KEY"],
  credential:
    "realtime_scribe or tts_websocket: a token for that one WebSocket, consumed by its first connection; " +
    "agent: a signed URL (url) that starts conversations with that one agent; " +
    "either must connect within a fixed 15 minutes, and a session may outlast them",
  fields,

  optionApplies(name: string, options: ElevenLabsOptions): boolean {
    return name !== "agent_id" || options.kind === "agent";
  },

  checkOptions(options: ElevenLabsOptions): string | undefined {
    if (options.kind === "agent" && options.agent_id === undefined) return "agent_id is required when kind is agent";
    if (options.kind !== "agent" && options.agent_id !== undefined) {
      return `agent_id is only for kind agent, not ${options.kind}`;
    }
    return undefined;
  },

  settings(vars: VarReader): ApiKeySettings | undefined {
    return apiKeySettings(vars, "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", DEFAULT_BASE_URL);
  },

  connect(settings: ApiKeySettings, options: ElevenLabsOptions): Connect {
    // An agent's signed URL carries its credential and is opened as it is.
    if (options.kind === "agent") return { transport: "websocket", endpoint: null, credential: { in: "url" } };
    const use = TOKEN_USE[options.kind];
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, use.endpoint),
      credential: { in: "query", name: use.name },
    };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const { detail } = parsed.data;
    if (typeof detail === "string") return { message: detail };
    if (!Array.isArray(detail)) return { message: detail.message ?? detail.status };
    const messages = detail.map((e) => [location(e.loc), e.msg].filter(Boolean).join(": ")).filter(Boolean);
    return { message: messages.join("; ") };
  },

  async mint({ settings, options, now, send }: MintInput<ApiKeySettings, ElevenLabsOptions>): Promise<MintedKey> {
    // ElevenLabs returns no expiry: the fixed life, counted from just before the call, never overstates it.
    const expiresAt = new Date(now.getTime() + FIXED_LIFE_SECONDS * 1000);
    const headers = { "xi-api-key": settings.apiKey };
    if (options.kind !== "agent") {
      const reply = await send({ url: settings.baseUrl + TOKEN_PATH + options.kind, headers });
      const { token } = parseVendorJson(this.name, reply, singleUseToken, { key: "token" });
      // Consumed on first use; saying so keeps clients from caching or sharing it.
      return { key: token, expiresAt, applied: { kind: options.kind, single_use: true } };
    }

    const agentId = options.agent_id as string;
    const reply = await send({
      method: "GET",
      url: `${settings.baseUrl}${SIGNED_URL_PATH}?${new URLSearchParams({ agent_id: agentId })}`,
      headers,
    });
    // The schema asks for nothing but the URL, so an answer it refuses holds no credential.
    const { signed_url } = parseVendorJson(this.name, reply, signedUrl, { key: "signed_url" });
    const { signature, refusal } = readSignedUrl(signed_url, settings.baseUrl, agentId);
    if (signature === undefined) {
      // Not the URL we know, yet it may be a live credential in another form (a renamed parameter,
      // say): it is refused as one, so that it stays counted and the client does not ask again.
      const why = "signed_url is not a URL carrying a signature";
      throw new RefusedCredential(this.name, reply.status, why, { key: signed_url });
    }
    if (refusal !== undefined) throw new RefusedCredential(this.name, reply.status, refusal, { key: signature });
    return { key: signature, url: signed_url, expiresAt, applied: { kind: options.kind, agent_id: agentId } };
  },
} satisfies VendorAdapter<ApiKeySettings, ElevenLabsOptions>;

/**
 * The credential inside a signed URL (its `conversation_signature`), and why the URL is refused,
 * if it is. The app's users connect to the URL as given, with the credential in it, so it must be
 * the conversation socket of the agent asked for, on the host and port the broker asked: `wss:`,
 * or `ws:` when the broker itself talks to ElevenLabs (or its emulator) over plain `http:`.
 */
function readSignedUrl(signedUrl: string, baseUrl: string, agentId: string): { signature?: string; refusal?: string } {
  let url: URL;
  try {
    url = new URL(signedUrl);
  } catch {
    return {};
  }
  const signature = url.searchParams.get(SIGNATURE_PARAM) || undefined;
  const base = new URL(baseUrl);
  const agents = url.searchParams.getAll("agent_id");
  const rules: [boolean, string][] = [
    [url.protocol === "wss:" || (url.protocol === "ws:" && base.protocol === "http:"), "signed_url is not wss:"],
    [url.username === "" && url.password === "", "signed_url carries a user name or password"],
    [url.hostname === base.hostname && portOf(url) === portOf(base), "signed_url is on another host or port"],
    [url.pathname === CONVERSATION_PATH, `signed_url does not lead to ${CONVERSATION_PATH}`],
    [agents.length === 1 && agents[0] === agentId, "signed_url is not for the agent_id asked"],
    [url.searchParams.getAll(SIGNATURE_PARAM).length === 1, `signed_url carries more than one ${SIGNATURE_PARAM}`],
  ];
  return { signature, refusal: rules.find(([kept]) => !kept)?.[1] };
}

/** The port a URL connects to: its own, or its scheme's default. */
function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" || url.protocol === "wss:" ? "443" : "80");
}
