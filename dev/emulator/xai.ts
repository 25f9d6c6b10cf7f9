import type { IncomingHeaders } from "./recorded";
import {
  bearerToken,
  type EmulatorReply,
  isInteger,
  json,
  type KeyUseEndpoint,
  parseJsonMessage,
  randomToken,
  streamTranscript,
  type VendorEmulator,
} from "./types";

/**
 * xAI `POST /v1/realtime/client_secrets` ("Ephemeral Tokens" and the REST
 * reference's "Create client secret"): the API key in `Authorization: Bearer
 * <key>`, a JSON body `{"expires_after": {"seconds"}}`; `session` and
 * `expires_after.anchor` are not supported, so they are refused here. Answers
 * 200 `{value, expires_at}`, `expires_at` in epoch seconds.
 *
 * The secret opens the Voice Agent WebSocket `/v1/realtime` until it expires. A
 * browser passes it as the subprotocol `xai-client-secret.<secret>`, which is how
 * `connect` says to present it and the only way this emulator takes it; the API
 * key itself goes in `Authorization: Bearer` (server side).
 *
 * xAI documents no range for `seconds` and no error body: this emulator takes
 * OpenAI's (10..7200, default 600), as xAI's realtime API mirrors it, and answers
 * errors OpenAI's way, `{"error": {"message", "type", "code"}}`. Both are this
 * emulator's assumptions, as is the wording of each message.
 *
 * Both paths are OpenAI's too. xAI API keys start with `xai-`, and so do this
 * emulator's secrets: a request bearing one, or offering an `xai-` subprotocol,
 * is xAI's; any other goes to the OpenAI emulator.
 */
const PATH = "/v1/realtime/client_secrets";
const MASTER_KEY = "xai-emulator-master-key-0123456789";
const SECONDS_MIN = 10;
const SECONDS_MAX = 7200;
const SECONDS_DEFAULT = 600;
const PROTOCOL_PREFIX = "xai-client-secret.";

/** True for a request that bears an `xai-` key or offers an `xai-` subprotocol. */
function claims(headers: IncomingHeaders): boolean {
  if (bearerToken(headers)?.startsWith("xai-")) return true;
  return String(headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .some((p) => p.trim().startsWith("xai-"));
}

function errorReply(status: number, message: string): EmulatorReply {
  const type = status === 401 ? "authentication_error" : status === 429 ? "rate_limit_error" : "invalid_request_error";
  return json(status, { error: { message, type, code: null } });
}

const invalid = (message: string) => errorReply(400, message);

/** The secret a browser offers as `xai-client-secret.<secret>`; undefined when none is offered. */
function offeredSecret(headers: IncomingHeaders): string | undefined {
  const offered = String(headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .find((p) => p.startsWith(PROTOCOL_PREFIX));
  return offered?.slice(PROTOCOL_PREFIX.length) || undefined;
}

const realtime: KeyUseEndpoint = {
  kind: "websocket",
  path: "/v1/realtime",
  claims,
  refuse({ headers, remoteIp, keys }) {
    const secret = offeredSecret(headers);
    if (secret === undefined) {
      // Server side: the API key itself in Authorization. A client secret is taken only as the subprotocol.
      return bearerToken(headers) === MASTER_KEY ? undefined : errorReply(401, "Incorrect API key or client secret");
    }
    return keys.use("xai", secret, remoteIp) === undefined
      ? undefined
      : errorReply(401, "Invalid or expired client secret");
  },
  /**
   * The Voice Agent protocol, reduced: `conversation.created` on open; the first
   * `input_audio_buffer.append` starts the fake transcript, one
   * `conversation.item.input_audio_transcription.completed` per word, then the socket closes.
   */
  open(socket) {
    socket.send(JSON.stringify({ type: "conversation.created", conversation: { id: `conv_${randomToken(12)}` } }));
    let started = false;
    socket.on("message", (data) => {
      const event = parseJsonMessage(data);
      if (event.type !== "input_audio_buffer.append" || started) return;
      started = true;
      streamTranscript(
        socket,
        (word) =>
          JSON.stringify({
            type: "conversation.item.input_audio_transcription.completed",
            item_id: `item_${randomToken(12)}`,
            transcript: word,
          }),
        () => socket.close(1000),
      );
    });
  },
};

export const xai: VendorEmulator = {
  vendor: "xai",
  method: "POST",
  path: PATH,
  masterKey: MASTER_KEY,
  claims,
  errorReply,
  malformedReply: json(200, { expires_at: 1_900_000_000 }),

  handle({ headers, rawBody, keys }) {
    if (bearerToken(headers) !== MASTER_KEY) return errorReply(401, "Incorrect API key provided");
    let body: unknown;
    try {
      body = JSON.parse(rawBody || "{}");
    } catch {
      return invalid("request body must be JSON");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body))
      return invalid("request body must be an object");
    const fields = body as Record<string, unknown>;
    for (const field of Object.keys(fields)) {
      if (field === "session") return invalid("session is not supported");
      if (field !== "expires_after") return invalid(`unknown parameter ${field}`);
    }
    const expiresAfter = fields.expires_after ?? { seconds: SECONDS_DEFAULT };
    if (expiresAfter === null || typeof expiresAfter !== "object" || Array.isArray(expiresAfter)) {
      return invalid("expires_after must be an object");
    }
    const after = expiresAfter as Record<string, unknown>;
    for (const field of Object.keys(after)) {
      if (field === "anchor") return invalid("expires_after.anchor is not supported");
      if (field !== "seconds") return invalid(`unknown parameter expires_after.${field}`);
    }
    const seconds = after.seconds ?? SECONDS_DEFAULT;
    if (!isInteger(seconds) || seconds < SECONDS_MIN || seconds > SECONDS_MAX) {
      return invalid(`expires_after.seconds must be an integer from ${SECONDS_MIN} to ${SECONDS_MAX}`);
    }
    const value = `xai-cs-${randomToken(32)}`;
    const expiresAt = Date.now() + seconds * 1000;
    keys.issue(value, { vendor: "xai", expiresAt, singleUse: false, allowedIps: [], serviceAuthValid: true });
    return json(200, { value, expires_at: Math.floor(expiresAt / 1000) });
  },

  keyUse: realtime,
};
