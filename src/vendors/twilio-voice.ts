import { SignJWT } from "jose";
import * as z from "zod/mini";
import type { VarReader } from "../config";
import type { Setting } from "../env";
import { brokerError, misconfigured } from "../errors";
import { type Connect, endpointFor } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";

/**
 * Twilio Voice access tokens, signed by the broker with an API key's secret: no
 * call to Twilio. Header and claims are those of the `twilio` package's
 * `AccessToken` with a `VoiceGrant`, in the same order, so that the same inputs
 * give the same token byte for byte (test/sdk/twilio-voice.test.ts).
 * @see https://www.twilio.com/docs/iam/access-tokens
 */

/** The Voice JS SDK's signaling WebSocket on its default edge (`roaming`); `Device` opens it itself. */
const DEFAULT_BASE_URL = "https://voice-js.roaming.twilio.com";
const SIGNALING_ENDPOINT = "wss://voice-js.roaming.twilio.com/signal";

/** The JWT content type Twilio requires of an access token (`twilio-fpa;v=1`, version 1). */
const ACCESS_TOKEN_CONTENT_TYPE = "twilio-fpa;v=1";

/**
 * A Voice client name (the identity) "should not contain control, space, delims,
 * or unwise characters" (Twilio error 31105; RFC 2396's sets): printable ASCII
 * without < > # % " { } | \ ^ [ ] or a backquote. Its other rule, at most 256
 * characters, is every client_ref's already.
 * @see https://www.twilio.com/docs/api/errors/31105
 */
const VOICE_IDENTITY = /^[!$&-;=?-Z_a-z~]+$/;

const fields = {
  /** Also let the user receive calls to their identity (`incoming.allow`). */
  incoming: z._default(z.boolean(), false),
};

type TwilioVoiceOptions = z.output<z.ZodMiniObject<typeof fields>>;

export interface TwilioVoiceSettings {
  accountSid: string;
  apiKeySid: string;
  apiKeySecret: string;
  /** The TwiML app that handles the user's outgoing calls (`outgoing.application_sid`). */
  twimlAppSid: string;
  baseUrl: string;
}

export const twilioVoice = {
  name: "twilio-voice",
  ttl: { min: 60, max: 3600, default: 600 },
  secretVars: ["TWILIO_API_KEY_SECRET"],
  credential:
    "a Twilio Voice access token for the Voice SDK's Device, with the user's client_ref as its identity: outgoing calls through the operator's TwiML app, and incoming calls to that identity only when minted with incoming; usable until it expires",
  fields,

  settings(vars: VarReader): TwilioVoiceSettings | undefined {
    const apiKeySecret = vars.optional("TWILIO_API_KEY_SECRET");
    if (!apiKeySecret) return undefined;
    return {
      accountSid: sid(vars, "TWILIO_ACCOUNT_SID", "AC", "the Account SID"),
      apiKeySid: sid(vars, "TWILIO_API_KEY_SID", "SK", "the SID of the API key whose secret is TWILIO_API_KEY_SECRET"),
      apiKeySecret,
      twimlAppSid: sid(vars, "TWILIO_TWIML_APP_SID", "AP", "the SID of the TwiML app for outgoing calls"),
      baseUrl: vars.baseUrl("TWILIO_VOICE_BASE_URL", DEFAULT_BASE_URL),
    };
  },

  checkCaller(_options: TwilioVoiceOptions, _settings: TwilioVoiceSettings, caller: { clientRef: string }): void {
    // The identity is the client_ref as it is: rewriting it would make another user's identity.
    if (!VOICE_IDENTITY.test(caller.clientRef)) {
      throw brokerError(
        "forbidden",
        "this user's client_ref cannot be a Twilio Voice identity, which must be printable ASCII without spaces or < > # % \" { } | \\ ^ [ ] `; the operator can pick another claim (CLIENT_REF_CLAIM) or pseudonyms (CLIENT_REF_SECRET)",
      );
    }
  },

  connect(settings: TwilioVoiceSettings): Connect {
    // `new Device(key)`: the SDK opens its signaling socket by itself, then the call's media over WebRTC.
    return {
      transport: "webrtc",
      endpoint: endpointFor(settings.baseUrl, DEFAULT_BASE_URL, SIGNALING_ENDPOINT),
      credential: { in: "sdk" },
    };
  },

  // No request leaves the broker, so there is no vendor answer to read.
  readFailure: () => ({}),

  async mint({
    settings,
    options,
    ttlSeconds,
    clientRef,
    now,
  }: MintInput<TwilioVoiceSettings, TwilioVoiceOptions>): Promise<MintedKey> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    // Twilio's helper libraries name a token `<key sid>-<issued at>`.
    const jti = `${settings.apiKeySid}-${issuedAt}`;
    const voice = {
      ...(options.incoming ? { incoming: { allow: true } } : {}),
      outgoing: { application_sid: settings.twimlAppSid },
    };
    const key = await new SignJWT({ jti, grants: { identity: clientRef, voice } })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", cty: ACCESS_TOKEN_CONTENT_TYPE })
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setIssuer(settings.apiKeySid)
      .setSubject(settings.accountSid)
      .sign(new TextEncoder().encode(settings.apiKeySecret));
    return { key, expiresAt: new Date(expiresAt * 1000), applied: { incoming: options.incoming }, vendorKeyId: jti };
  },
} satisfies VendorAdapter<TwilioVoiceSettings, TwilioVoiceOptions>;

/** A Twilio SID setting: its two-letter prefix and 32 hexadecimal digits, as Twilio's API defines them. */
function sid(vars: VarReader, name: Setting, prefix: string, what: string): string {
  const value = vars.optional(name);
  if (value === undefined) throw misconfigured(name, `Twilio Voice: ${name} must be set with TWILIO_API_KEY_SECRET`);
  if (!new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(value)) {
    throw misconfigured(name, `Twilio Voice: ${name} must be ${what}: ${prefix} and 32 hexadecimal digits`);
  }
  return value;
}
