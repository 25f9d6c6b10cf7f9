import * as z from "zod/mini";
import type { VarReader } from "../config";
import { brokerError, misconfigured } from "../errors";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { malformed, type VendorFailureReading } from "./upstream";

/** @see https://docs.amivoice.com/amivoice-api/manual/user-guide/request/issue-service-authorization */
const DEFAULT_BASE_URL = "https://acp-api.amivoice.com";
const PATH = "/issue_service_authorization";
/** The speech WebSocket (logging); the key is `authorization=<key>` in the `s` command that starts recognition. */
const WS_ENDPOINT = "wss://acp-api.amivoice.com/v1/";

/** The documented 400 messages that mean the broker's own credentials are wrong. */
const CREDENTIAL_ERRORS: Record<string, string> = {
  "Invalid Authorization Header": "the Authorization header was not accepted (Invalid Authorization Header)",
  "Invalid appkey": "AMIVOICE_ISSUER_KEY is not a valid API key (Invalid appkey)",
  "Dont issue appkey": 'AMIVOICE_ISSUER_KEY lacks the "Issuable" setting or is disabled (Dont issue appkey)',
};

type AmiVoiceCredentials = { mode: "service"; sid: string; spw: string } | { mode: "issuer_key"; issuerKey: string };

interface AmiVoiceSettings {
  credentials: AmiVoiceCredentials;
  baseUrl: string;
  requireIpBinding: boolean;
}

const fields = {
  bind_ip: z._default(z.boolean(), true),
};

type AmiVoiceOptions = z.output<z.ZodMiniObject<typeof fields>>;

/**
 * AmiVoice answers the key as the whole plain-text body and does not document its format. A key is
 * taken to be visible ASCII without the quotes, braces or angle brackets of a JSON or HTML body, so
 * that a proxy's page or a truncated JSON answer is never handed out as a key.
 */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;
const MARKUP_CHARACTERS = /["'<>{}\\]/;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** AmiVoice's ipa takes IPv4 only; an IPv6 caller gets an unbound key unless the operator forbids it. */
function bindAddress(options: AmiVoiceOptions, callerIp: string | undefined): string | undefined {
  return options.bind_ip && callerIp !== undefined && IPV4.test(callerIp) ? callerIp : undefined;
}

export const amivoice = {
  name: "amivoice",
  ttl: { min: 10, max: 86_400, default: 300 },
  secretVars: ["AMIVOICE_SID", "AMIVOICE_SPW", "AMIVOICE_ISSUER_KEY"],
  credential: "usable for several sessions until it expires, from the caller's IPv4 address when ip_bound",
  fields,

  settings(vars: VarReader): AmiVoiceSettings | undefined {
    const sid = vars.optional("AMIVOICE_SID");
    const spw = vars.optional("AMIVOICE_SPW");
    const issuerKey = vars.optional("AMIVOICE_ISSUER_KEY");
    if (!sid && !spw && !issuerKey) return undefined;
    if (issuerKey && (sid || spw)) {
      throw misconfigured(
        "AMIVOICE_ISSUER_KEY",
        "AmiVoice: set either AMIVOICE_ISSUER_KEY or AMIVOICE_SID with AMIVOICE_SPW, not both",
      );
    }
    let credentials: AmiVoiceCredentials;
    if (issuerKey) credentials = { mode: "issuer_key", issuerKey };
    else if (sid && spw) credentials = { mode: "service", sid, spw };
    else
      throw misconfigured(
        sid ? "AMIVOICE_SPW" : "AMIVOICE_SID",
        "AmiVoice: AMIVOICE_SID and AMIVOICE_SPW must be set together",
      );
    return {
      credentials,
      baseUrl: vars.baseUrl("AMIVOICE_BASE_URL", DEFAULT_BASE_URL),
      requireIpBinding: vars.flag("AMIVOICE_REQUIRE_IP_BINDING"),
    };
  },

  connect(settings: AmiVoiceSettings): Connect {
    return {
      transport: "websocket",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, WS_ENDPOINT),
      credential: { in: "message", field: "authorization" },
    };
  },

  readFailure(status: number, text: string): VendorFailureReading {
    const message = text.trim();
    const credentialError = status === 400 ? CREDENTIAL_ERRORS[message] : undefined;
    if (credentialError) return { message: credentialError, credentialsRejected: true };
    // AmiVoice answers in plain text; anything that looks like a page is not a message.
    return message && message.length <= 200 && !message.includes("<") ? { message } : {};
  },

  checkCaller(options: AmiVoiceOptions, settings: AmiVoiceSettings, caller: { ip: string | undefined }): void {
    if (bindAddress(options, caller.ip) === undefined && settings.requireIpBinding) {
      throw brokerError(
        "forbidden",
        options.bind_ip
          ? "this broker only issues IP-bound AmiVoice keys, and AmiVoice can bind only IPv4 callers; connect over IPv4"
          : "this broker only issues IP-bound AmiVoice keys; bind_ip cannot be false",
      );
    }
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    callerIp,
    now,
    send,
  }: MintInput<AmiVoiceSettings, AmiVoiceOptions>): Promise<MintedKey> {
    const bindTo = bindAddress(options, callerIp);
    const form = new URLSearchParams({ epi: String(ttlSeconds * 1000) });
    if (bindTo) form.set("ipa", bindTo);
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
    if (settings.credentials.mode === "service") {
      form.set("sid", settings.credentials.sid);
      form.set("spw", settings.credentials.spw);
    } else {
      headers.Authorization = `Bearer ${settings.credentials.issuerKey}`;
    }

    const reply = await send({ url: settings.baseUrl + PATH, headers, body: form.toString() });
    const key = reply.text.trim();
    if (!KEY_CHARACTERS.test(key) || MARKUP_CHARACTERS.test(key)) {
      throw malformed(this.name, reply, "body is not a single key");
    }
    return {
      key,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      applied: { bind_ip: options.bind_ip, ip_bound: bindTo !== undefined },
    };
  },
} satisfies VendorAdapter<AmiVoiceSettings, AmiVoiceOptions>;
