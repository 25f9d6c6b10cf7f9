import type { KeyUseEndpoint } from "./types";
import { type EmulatorReply, isInteger, json, parseJsonMessage, streamTranscript, type VendorEmulator } from "./types";

/**
 * Gladia `POST /v2/live` (API reference "Initiate a session", @gladiaio/sdk
 * `LiveV2Session`): the account's API key in `x-gladia-key`, a JSON body with the
 * session's audio settings (`encoding`, `bit_depth`, `sample_rate`, `channels`,
 * `model`, `language_config`, …) and `custom_metadata` (an object), answering
 * 201 `{"id", "created_at", "url"}`: the WebSocket URL carries the session's
 * temporary token as `?token=`. No lifetime comes back; this emulator keeps an
 * unopened session for 10 minutes, longer than the broker's fixed 5.
 *
 * The values allowed are the SDK's generated types (LiveV2Encoding, LiveV2BitDepth,
 * LiveV2SampleRate, LiveV2Model, LiveV2TranscriptionLanguageCode); `channels` is
 * 1..8, and A-law and μ-law audio is 8-bit ("Supported formats"). Error bodies
 * follow Gladia's: `{"timestamp", "path", "request_id", "statusCode", "message",
 * "validation_errors"?}`; the wording of each message is this emulator's own.
 *
 * The session's socket takes the token in the query only (the URL as given):
 * audio in, final transcripts out; `{"type": "stop_recording"}` ends it (closing 1000) once
 * the audio so far is transcribed.
 */
const PATH = "/v2/live";
const MASTER_KEY = "gladia-master-key-for-tests";
const LIFETIME_MS = 600_000;
const ENCODINGS = ["wav/pcm", "wav/alaw", "wav/ulaw"];
const BIT_DEPTHS = [8, 16, 24, 32];
const SAMPLE_RATES = [8000, 16000, 32000, 44100, 48000];
const MODELS = ["solaria-1"];
const LANGUAGES = new Set(
  "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split(
    " ",
  ),
);
/** The fields of LiveV2InitRequest; anything else is refused. */
const KNOWN_FIELDS = new Set([
  "encoding",
  "bit_depth",
  "sample_rate",
  "channels",
  "custom_metadata",
  "model",
  "endpointing",
  "maximum_duration_without_endpointing",
  "language_config",
  "pre_processing",
  "realtime_processing",
  "post_processing",
  "messages_config",
  "callback",
  "callback_config",
]);

function errorReply(status: number, message: string, validationErrors?: string[]): EmulatorReply {
  return json(status, {
    timestamp: new Date().toISOString(),
    path: PATH,
    request_id: `G-${crypto.randomUUID().slice(0, 8)}`,
    statusCode: status,
    message,
    ...(validationErrors ? { validation_errors: validationErrors } : {}),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What is wrong with a body, one line per field; empty when nothing is. */
function validationErrors(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const oneOf = (field: string, allowed: unknown[]) => {
    if (body[field] !== undefined && !allowed.includes(body[field])) {
      errors.push(`${field} must be one of the following values: ${allowed.join(", ")}`);
    }
  };
  for (const field of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(field)) errors.push(`property ${field} should not exist`);
  }
  oneOf("encoding", ENCODINGS);
  oneOf("bit_depth", BIT_DEPTHS);
  oneOf("sample_rate", SAMPLE_RATES);
  oneOf("model", MODELS);
  const channels = body.channels;
  if (channels !== undefined && (!isInteger(channels) || channels < 1 || channels > 8)) {
    errors.push("channels must be an integer from 1 to 8");
  }
  const encoding = body.encoding ?? "wav/pcm";
  if (encoding !== "wav/pcm" && (body.bit_depth ?? 16) !== 8) {
    errors.push(`bit_depth must be 8 with ${String(encoding)}`);
  }
  if (body.custom_metadata !== undefined && !isObject(body.custom_metadata)) {
    errors.push("custom_metadata must be an object");
  }
  const config = body.language_config;
  if (config !== undefined) {
    const languages = isObject(config) ? config.languages : undefined;
    if (
      !isObject(config) ||
      (languages !== undefined &&
        (!Array.isArray(languages) || !languages.every((code) => LANGUAGES.has(code as string))))
    ) {
      errors.push("language_config.languages must be an array of supported language codes");
    }
  }
  return errors;
}

function transcript(sessionId: string, text: string): string {
  const utterance = { text, start: 0, end: 0.5, language: "en", channel: 0, words: [] };
  const data = { id: crypto.randomUUID(), is_final: true, utterance };
  return JSON.stringify({ session_id: sessionId, created_at: new Date().toISOString(), type: "transcript", data });
}

/** Each issued token's session id, for the messages its socket sends. */
const sessionOf = new Map<string, string>();

const live: KeyUseEndpoint = {
  kind: "websocket",
  path: PATH,
  refuse: ({ query, remoteIp, keys }) => {
    const token = query.get("token");
    if (!token) return errorReply(401, "a token is required");
    if (keys.use("gladia", token, remoteIp) !== undefined) return errorReply(401, "Invalid or expired token");
    return undefined;
  },
  open(socket, { query }) {
    const sessionId = sessionOf.get(query.get("token") ?? "") ?? crypto.randomUUID();
    let started = false;
    let transcribed = false;
    let stopPending = false;
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        if (started) return;
        started = true;
        streamTranscript(
          socket,
          (word) => transcript(sessionId, word),
          () => {
            transcribed = true;
            if (stopPending) socket.close(1000);
          },
        );
        return;
      }
      // Gladia ends the session once the audio received is transcribed.
      if (parseJsonMessage(data).type !== "stop_recording") return;
      if (transcribed || !started) socket.close(1000);
      else stopPending = true;
    });
  },
};

export const gladia: VendorEmulator = {
  vendor: "gladia",
  method: "POST",
  path: PATH,
  masterKey: MASTER_KEY,
  errorReply: (status, message) => errorReply(status, message),
  malformedReply: json(201, { id: crypto.randomUUID(), created_at: new Date().toISOString() }),

  handle({ headers, rawBody, keys }) {
    const key = headers["x-gladia-key"];
    if (!key) return errorReply(401, "x-gladia-key header is required");
    if (key !== MASTER_KEY) return errorReply(401, "Invalid x-gladia-key");
    let body: unknown;
    try {
      body = JSON.parse(rawBody || "{}");
    } catch {
      return errorReply(400, "request body must be JSON");
    }
    if (!isObject(body)) return errorReply(400, "request body must be an object");
    const errors = validationErrors(body);
    if (errors.length > 0) return errorReply(400, "Invalid request", errors);
    const id = crypto.randomUUID();
    const token = crypto.randomUUID();
    keys.issue(token, {
      vendor: "gladia",
      expiresAt: Date.now() + LIFETIME_MS,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    sessionOf.set(token, id);
    // The real service answers wss://api.gladia.io/…; the emulator's own socket is plain ws on its host.
    const url = new URL(`ws://${headers.host ?? "127.0.0.1"}${PATH}`);
    url.searchParams.set("token", token);
    return json(201, { id, created_at: new Date().toISOString(), url: url.toString() });
  },

  keyUse: live,
};
