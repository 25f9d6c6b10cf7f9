import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebSocket } from "ws";
import { parseJsonMessage, type SignedVendorEmulator } from "./types";

/**
 * Twilio Voice: no issuance API (the broker signs the access token itself), so
 * only the check where the token is used. The Voice JS SDK's `Device` opens
 * `wss://voice-js.<edge>.twilio.com/signal` and sends `{"type":"listen",
 * "version":"1.6","payload":{"token",…}}` (twilio-voice.js `lib/twilio/pstream.ts`);
 * Twilio answers `connected`, or `error` with one of its access-token codes.
 * The account below is the emulator's, with the API key that signs its tokens.
 * @see https://www.twilio.com/docs/iam/access-tokens
 */
export const twilioVoiceAccount = {
  accountSid: "AC00000000000000000000000000e1a7e5",
  apiKeySid: "SK00000000000000000000000000e1a7e5",
  apiKeySecret: "emulatorTwilioApiKeySecret000000",
  twimlAppSid: "AP00000000000000000000000000e1a7e5",
};

const CONTENT_TYPE = "twilio-fpa;v=1";
/** "Access Token expiration times can be set up to 24 hours in the future" (error 20104). */
const MAX_LIFETIME_SECONDS = 24 * 60 * 60;
/** A Voice client name: printable ASCII without RFC 2396's delims and unwise characters, at most 256 (error 31105). */
const CLIENT_NAME = /^[!$&-;=?-Z_a-z~]{1,256}$/;

/** Twilio's access-token errors (twilio.com/docs/api/errors/201xx). */
const ERRORS = {
  invalid: [20101, "Invalid Access Token"],
  header: [20102, "Invalid Access Token header"],
  issuer: [20103, "Invalid Access Token issuer/subject"],
  expired: [20104, "Access Token expired or expiration date invalid"],
  notYetValid: [20105, "Access Token not yet valid"],
  grants: [20106, "Invalid Access Token grants"],
  signature: [20107, "Invalid Access Token signature"],
  application: [21218, "Invalid ApplicationSid"],
  clientName: [31105, "Invalid client name"],
} as const;

type Refusal = keyof typeof ERRORS;

interface AccessToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signedPart: string;
  signature: string;
}

function decode(token: string): AccessToken | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, claims, signature] = parts as [string, string, string];
  const json = (part: string) => parseJsonMessage(Buffer.from(part, "base64url").toString("utf8"));
  return { header: json(header), claims: json(claims), signedPart: `${header}.${claims}`, signature };
}

/** Why Twilio would refuse the token, its claims trusted only once the signature holds; undefined when it accepts it. */
function refuseAccessToken(token: unknown, nowSeconds: number): Refusal | undefined {
  const decoded = typeof token === "string" ? decode(token) : undefined;
  if (decoded === undefined) return "invalid";
  const { header, claims, signedPart, signature } = decoded;
  if (header.typ !== "JWT" || header.alg !== "HS256" || header.cty !== CONTENT_TYPE) return "header";
  // The issuer names the API key whose secret signed the token; the subject its account.
  if (claims.iss !== twilioVoiceAccount.apiKeySid || claims.sub !== twilioVoiceAccount.accountSid) return "issuer";
  const expected = createHmac("sha256", twilioVoiceAccount.apiKeySecret).update(signedPart).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "signature";
  const { exp, nbf } = claims;
  if (typeof exp !== "number" || exp <= nowSeconds || exp > nowSeconds + MAX_LIFETIME_SECONDS) return "expired";
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds)) return "notYetValid";
  const grants = claims.grants as { identity?: unknown; voice?: { outgoing?: { application_sid?: unknown } } };
  if (typeof grants?.identity !== "string" || grants.voice?.outgoing?.application_sid === undefined) return "grants";
  if (!CLIENT_NAME.test(grants.identity)) return "clientName";
  // Twilio refuses an app that is not the account's when a call is placed; the emulator places none, so here.
  if (grants.voice.outgoing.application_sid !== twilioVoiceAccount.twimlAppSid) return "application";
  return undefined;
}

function listen(socket: WebSocket) {
  socket.once("message", (data) => {
    const message = parseJsonMessage(data);
    const payload = message.payload as { token?: unknown } | undefined;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const refusal = message.type === "listen" ? refuseAccessToken(payload?.token, nowSeconds) : "invalid";
    if (refusal) {
      const [code, text] = ERRORS[refusal];
      socket.send(JSON.stringify({ type: "error", version: "1.6", payload: { error: { code, message: text } } }));
      return socket.close(1000);
    }
    const claims = (decode(payload?.token as string) as AccessToken).claims;
    const grants = claims.grants as { identity: string; voice: { incoming?: { allow?: boolean } } };
    socket.send(
      JSON.stringify({
        type: "connected",
        version: "1.6",
        payload: {
          region: "gll",
          edge: "roaming",
          // What the SDK's Device reads of the accepted token.
          token: { identity: grants.identity, ttl: (claims.exp as number) - nowSeconds },
          // Not Twilio's: whether the token may receive calls, for the demo and the tests.
          incoming: grants.voice.incoming?.allow === true,
        },
      }),
    );
    socket.close(1000);
  });
}

export const twilioVoice: SignedVendorEmulator = {
  vendor: "twilio-voice",
  masterKey: twilioVoiceAccount.apiKeySecret,
  keyUse: { kind: "websocket", path: "/signal", open: (socket) => listen(socket) },
};
