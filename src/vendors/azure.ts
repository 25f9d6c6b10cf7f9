import type * as z from "zod/mini";
import type { VarReader } from "../config";
import { misconfigured } from "../errors";
import type { Connect } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { malformed, RefusedCredential, tryJson, type VendorFailureReading } from "./upstream";

/**
 * @see https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short#authentication
 * (the issueToken call; the Speech SDK itself mints nothing, it takes the token in
 * `SpeechConfig.fromAuthorizationToken(token, region)`)
 */
const PATH = "/sts/v1.0/issueToken";
/** Azure fixes the token's life at 10 minutes, whatever the caller wants. */
const FIXED_LIFE_SECONDS = 600;
/** Speech-to-text over the Speech SDK's WebSocket: the region's host, or a custom domain's `/stt` path. */
const REGION_STT_PATH = "/speech/recognition/conversation/cognitiveservices/v1";
const CUSTOM_DOMAIN_STT_PATH = `/stt${REGION_STT_PATH}`;
/** An Azure region name as it appears in host names (`westeurope`, `eastus2`). */
const REGION = /^[a-z][a-z0-9]{1,39}$/;
/** Azure's tokens are JWTs of well under 2 KB; anything else in a 200 is not one. */
const MAX_TOKEN_CHARS = 8192;
const JWT = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

export interface AzureSettings {
  apiKey: string;
  /** The STS host: the region's `https://<region>.api.cognitive.microsoft.com`, or the custom-domain endpoint. */
  baseUrl: string;
  /** Set with `AZURE_SPEECH_REGION`; with `AZURE_SPEECH_ENDPOINT`, read from each token. */
  region: string | undefined;
}

/** Azure's token takes no parameter: no scope, no lifetime. */
const fields = {};

type AzureOptions = z.output<z.ZodMiniObject<typeof fields>>;

/** Azure's error bodies: `{"error": {"code", "message"}}`. */
function errorMessage(text: string): string | undefined {
  const body = tryJson(text) as { error?: { message?: unknown } } | undefined;
  const message = body?.error?.message;
  return typeof message === "string" ? message : undefined;
}

/** The `region` claim of a JWT, or undefined when it has none or cannot be read. */
function regionClaim(payload: string): string | undefined {
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/")) as string;
    const region = (JSON.parse(json) as { region?: unknown }).region;
    return typeof region === "string" ? region : undefined;
  } catch {
    return undefined;
  }
}

export const azure = {
  name: "azure",
  ttl: { min: FIXED_LIFE_SECONDS, max: FIXED_LIFE_SECONDS, default: FIXED_LIFE_SECONDS },
  secretVars: ["AZURE_SPEECH_KEY"],
  credential:
    "an authorization token for the Speech resource's APIs, used with the answer's region by the Speech SDK, " +
    "for any number of connections within a fixed 10 minutes",
  fields,

  settings(vars: VarReader): AzureSettings | undefined {
    const apiKey = vars.optional("AZURE_SPEECH_KEY");
    if (!apiKey) return undefined;
    const region = vars.optional("AZURE_SPEECH_REGION");
    const endpoint = vars.optional("AZURE_SPEECH_ENDPOINT");
    if (region !== undefined && endpoint !== undefined) {
      throw misconfigured(
        "AZURE_SPEECH_ENDPOINT",
        "Azure: set either AZURE_SPEECH_REGION or AZURE_SPEECH_ENDPOINT, not both",
      );
    }
    if (endpoint !== undefined) {
      return { apiKey, baseUrl: vars.baseUrl("AZURE_SPEECH_ENDPOINT", endpoint), region: undefined };
    }
    if (region === undefined) {
      throw misconfigured("AZURE_SPEECH_REGION", "Azure: AZURE_SPEECH_REGION or AZURE_SPEECH_ENDPOINT must be set");
    }
    if (!REGION.test(region)) {
      throw misconfigured("AZURE_SPEECH_REGION", "Azure: AZURE_SPEECH_REGION must be a region name such as westeurope");
    }
    return { apiKey, baseUrl: `https://${region}.api.cognitive.microsoft.com`, region };
  },

  connect(settings: AzureSettings): Connect {
    // The Speech SDK sends `Authorization: Bearer <token>` as a header from Node and, as a browser cannot set
    // WebSocket headers, as the query parameter `Authorization=Bearer <token>` (WebsocketConnection.ts): the one
    // form that works everywhere, and the one `connect` names.
    const base = new URL(settings.baseUrl);
    const endpoint =
      settings.region === undefined
        ? `${base.protocol === "https:" ? "wss:" : "ws:"}//${base.host}${CUSTOM_DOMAIN_STT_PATH}`
        : `wss://${settings.region}.stt.speech.microsoft.com${REGION_STT_PATH}`;
    return { transport: "websocket", endpoint, credential: { in: "query", name: "Authorization", scheme: "Bearer" } };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    return { message: errorMessage(text) };
  },

  async mint({ settings, now, send }: MintInput<AzureSettings, AzureOptions>): Promise<MintedKey> {
    // Azure returns no expiry: the fixed life, counted from just before the call, never overstates it.
    const expiresAt = new Date(now.getTime() + FIXED_LIFE_SECONDS * 1000);
    const reply = await send({
      url: settings.baseUrl + PATH,
      // Microsoft's documented call: an empty form body beside the resource key.
      headers: { "Ocp-Apim-Subscription-Key": settings.apiKey, "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
    });
    // The token is the whole plain-text body (already capped by the upstream helper).
    const token = reply.text.trim();
    const payload = token.length <= MAX_TOKEN_CHARS ? JWT.exec(token)?.[1] : undefined;
    if (payload === undefined) throw malformed(this.name, reply, "body is not a JWT");
    const claimed = regionClaim(payload);
    const region = settings.region ?? claimed;
    if (region === undefined || !REGION.test(region)) {
      throw new RefusedCredential(this.name, reply.status, "the token names no region", { key: token });
    }
    if (claimed !== undefined && claimed !== region) {
      throw new RefusedCredential(this.name, reply.status, "the token is for another region", { key: token });
    }
    return { key: token, expiresAt, applied: { region } };
  },
} satisfies VendorAdapter<AzureSettings, AzureOptions>;
