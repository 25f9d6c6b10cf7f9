import type { WebSocket } from "ws";
import type { KeyRegistry } from "./keys";
import { bearerToken, type EmulatorReply, type IncomingHeaders, isInteger, json, type VendorEmulator } from "./types";

/**
 * OpenAI `POST /v1/realtime/client_secrets`, per the API reference and the
 * `openai` SDK's types (`src/resources/realtime/client-secrets.ts`):
 * `Authorization: Bearer <API key>`; optional `expires_after` with `anchor`
 * ("created_at" only) and `seconds` (10..7200, default 600); optional
 * `session` whose `type` is "realtime" or "transcription". Unknown parameters
 * are refused, as the API does. Answers 200 `{value, expires_at, session}`,
 * `expires_at` in epoch seconds. Errors are OpenAI's
 * `{"error":{"message","type","param","code"}}`.
 *
 * The client uses the secret as a bearer token on `POST /v1/realtime/calls`
 * (WebRTC: an SDP offer in, an SDP answer out), or on the Realtime WebSocket
 * `/v1/realtime?model=…` (the `openai` SDK's `OpenAIRealtimeWebSocket` and
 * `OpenAIRealtimeWS`), as often as it likes until it expires.
 */
const API_KEY = "sk-proj-openai-emulator-master-key-0123456789";
const TTL_MIN_SECONDS = 10;
const TTL_MAX_SECONDS = 7200;
const TTL_DEFAULT_SECONDS = 600;

/** The models the `openai` SDK names for each session type; the API refuses models it does not serve. */
const REALTIME_MODELS = new Set([
  "gpt-realtime",
  "gpt-realtime-1.5",
  "gpt-realtime-2",
  "gpt-realtime-2.1",
  "gpt-realtime-2.1-mini",
  "gpt-realtime-2025-08-28",
  "gpt-4o-realtime-preview",
  "gpt-4o-realtime-preview-2024-10-01",
  "gpt-4o-realtime-preview-2024-12-17",
  "gpt-4o-realtime-preview-2025-06-03",
  "gpt-4o-mini-realtime-preview",
  "gpt-4o-mini-realtime-preview-2024-12-17",
  "gpt-realtime-mini",
  "gpt-realtime-mini-2025-10-06",
  "gpt-realtime-mini-2025-12-15",
  "gpt-audio-1.5",
  "gpt-audio-mini",
  "gpt-audio-mini-2025-10-06",
  "gpt-audio-mini-2025-12-15",
]);
const TRANSCRIPTION_MODELS = new Set([
  "whisper-1",
  "gpt-4o-mini-transcribe",
  "gpt-4o-mini-transcribe-2025-12-15",
  "gpt-4o-transcribe",
  "gpt-4o-transcribe-diarize",
  "gpt-realtime-whisper",
]);

/** The parameters each object takes (the SDK's request types); anything else is an unknown parameter. */
const PARAMETERS: Record<string, Set<string>> = {
  "": new Set(["expires_after", "session"]),
  expires_after: new Set(["anchor", "seconds"]),
  "session(realtime)": new Set([
    "type",
    "audio",
    "include",
    "instructions",
    "max_output_tokens",
    "model",
    "output_modalities",
    "parallel_tool_calls",
    "prompt",
    "reasoning",
    "tool_choice",
    "tools",
    "tracing",
    "truncation",
  ]),
  "session(transcription)": new Set(["type", "audio", "include"]),
  "session.audio": new Set(["input"]),
  "session.audio.input": new Set(["format", "noise_reduction", "transcription", "turn_detection"]),
  "session.audio.input.transcription": new Set(["delay", "language", "model", "prompt"]),
};

const NO_API_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";
const NOT_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

const ERROR_TYPES: Record<number, string> = { 429: "requests" };

function errorReply(status: number, message: string, param: string | null = null, code: string | null = null) {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return json(status, { error: { message, type, param, code } });
}

class Invalid extends Error {
  constructor(
    message: string,
    readonly param: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** OpenAI quotes a wrong key with its middle starred out. */
function maskedKey(key: string): string {
  return key.length <= 8 ? "*".repeat(key.length) : `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Every parameter name, for reading an object before its allowed parameters are known. */
const ANY = { has: () => true };

function object(value: unknown, param: string, allowed: { has(name: string): boolean }): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Invalid(
      `Invalid type for '${param}': expected an object, but got ${typeName(value)} instead.`,
      param,
      "invalid_type",
    );
  }
  for (const name of Object.keys(value)) {
    if (!allowed.has(name)) {
      const at = param ? `${param}.${name}` : name;
      throw new Invalid(`Unknown parameter: '${at}'.`, at, "unknown_parameter");
    }
  }
  return value as Record<string, unknown>;
}

function oneOf(value: unknown, param: string, allowed: Iterable<string>): string {
  const values = [...allowed];
  if (typeof value !== "string") {
    throw new Invalid(
      `Invalid type for '${param}': expected one of ${values.map((v) => `'${v}'`).join(", ")}, but got ${typeName(value)} instead.`,
      param,
      "invalid_type",
    );
  }
  if (!values.includes(value)) {
    const listed = values.map((v) => `'${v}'`);
    const supported = listed.length > 1 ? `${listed.slice(0, -1).join(", ")} and ${listed.at(-1)}` : listed[0];
    throw new Invalid(`Invalid value: '${value}'. Supported values are: ${supported}.`, param, "invalid_value");
  }
  return value;
}

function ttlSeconds(value: unknown): number {
  const param = "expires_after.seconds";
  if (value === undefined) return TTL_DEFAULT_SECONDS;
  if (!isInteger(value)) {
    throw new Invalid(
      `Invalid type for '${param}': expected an integer, but got ${typeName(value)} instead.`,
      param,
      "invalid_type",
    );
  }
  if (value < TTL_MIN_SECONDS) {
    throw new Invalid(
      `Invalid '${param}': integer below minimum value. Expected a value >= ${TTL_MIN_SECONDS}, but got ${value} instead.`,
      param,
      "integer_below_min_value",
    );
  }
  if (value > TTL_MAX_SECONDS) {
    throw new Invalid(
      `Invalid '${param}': integer above maximum value. Expected a value <= ${TTL_MAX_SECONDS}, but got ${value} instead.`,
      param,
      "integer_above_max_value",
    );
  }
  return value;
}

/** The effective session, as the API answers it: the request's session with the defaults filled in. */
function effectiveSession(value: unknown): Record<string, unknown> {
  if (value === undefined) return realtimeSession(undefined);
  // The type decides which parameters the rest of the session may have.
  const type = object(value, "session", ANY).type;
  if (type === undefined) {
    throw new Invalid("Missing required parameter: 'session.type'.", "session.type", "missing_required_parameter");
  }
  const sessionType = oneOf(type, "session.type", ["realtime", "transcription"]);
  const session = object(value, "session", PARAMETERS[`session(${sessionType})`]!);
  if (sessionType === "realtime") {
    const model = session.model === undefined ? undefined : oneOf(session.model, "session.model", REALTIME_MODELS);
    return realtimeSession(model);
  }
  let model: string | undefined;
  if (session.audio !== undefined) {
    const audio = object(session.audio, "session.audio", PARAMETERS["session.audio"]!);
    if (audio.input !== undefined) {
      const input = object(audio.input, "session.audio.input", PARAMETERS["session.audio.input"]!);
      if (input.transcription !== undefined) {
        const at = "session.audio.input.transcription";
        const transcription = object(input.transcription, at, PARAMETERS[at]!);
        if (transcription.model !== undefined) model = oneOf(transcription.model, `${at}.model`, TRANSCRIPTION_MODELS);
      }
    }
  }
  return {
    type: "transcription",
    object: "realtime.transcription_session",
    id: `sess_${randomHex(12)}`,
    audio: {
      input: {
        format: { type: "audio/pcm", rate: 24000 },
        noise_reduction: null,
        transcription: model === undefined ? null : { model, language: null, prompt: "" },
        turn_detection: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
      },
    },
    include: null,
  };
}

function realtimeSession(model: string | undefined): Record<string, unknown> {
  return {
    type: "realtime",
    object: "realtime.session",
    id: `sess_${randomHex(12)}`,
    model: model ?? "gpt-realtime",
    output_modalities: ["audio"],
    instructions: "",
    tools: [],
    tool_choice: "auto",
    max_output_tokens: "inf",
    tracing: null,
    prompt: null,
    include: null,
    audio: {
      input: { format: { type: "audio/pcm", rate: 24000 }, transcription: null, noise_reduction: null },
      output: { format: { type: "audio/pcm", rate: 24000 }, voice: "alloy", speed: 1 },
    },
  };
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SDP answer the emulated calls endpoint gives every offer: one audio section, as the real one does. */
function sdpAnswer(): string {
  const sessionId = String(Math.floor(Math.random() * 1e15));
  return `${[
    "v=0",
    `o=- ${sessionId} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=msid-semantic: WMS",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    `a=ice-ufrag:${randomHex(4)}`,
    `a=ice-pwd:${randomHex(12)}`,
    `a=fingerprint:sha-256 ${randomHex(32)
      .toUpperCase()
      .replace(/(..)(?!$)/g, "$1:")}`,
    "a=setup:active",
    "a=mid:0",
    "a=sendrecv",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1",
  ].join("\r\n")}\r\n`;
}

/** The subprotocol prefix a browser uses to send its key, since it cannot set `Authorization`. */
const KEY_SUBPROTOCOL = "openai-insecure-api-key.";

/**
 * The key a Realtime WebSocket carries: `Authorization: Bearer <key>` (Node,
 * `OpenAIRealtimeWS`), or the subprotocol `openai-insecure-api-key.<key>`
 * beside `realtime` (browsers, `OpenAIRealtimeWebSocket`).
 */
function realtimeSocketKey(headers: IncomingHeaders): string | undefined {
  const protocols = String(headers["sec-websocket-protocol"] ?? "").split(",");
  const offered = protocols.map((p) => p.trim()).find((p) => p.startsWith(KEY_SUBPROTOCOL));
  return bearerToken(headers) ?? offered?.slice(KEY_SUBPROTOCOL.length);
}

/**
 * The Realtime WebSocket. OpenAI takes the upgrade whatever the key and then
 * checks it: a refused key gets an `error` event (`invalid_request_error`,
 * code `invalid_api_key`) and a close with code 3000 and reason
 * `invalid_request_error.invalid_api_key`, as observed from the real API. A
 * good one gets `session.created`; the session then answers nothing more here.
 */
function openRealtimeSocket(
  socket: WebSocket,
  { headers, remoteIp, keys }: { headers: IncomingHeaders; remoteIp: string; keys: KeyRegistry },
) {
  const token = realtimeSocketKey(headers);
  const refusal = token === undefined ? "unknown" : keys.use("openai", token, remoteIp);
  if (refusal) {
    const message =
      token === undefined
        ? NO_API_KEY
        : refusal === "expired"
          ? "The client secret provided has expired."
          : `Incorrect API key provided: ${maskedKey(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
    const error = { type: "invalid_request_error", code: "invalid_api_key", message, param: null, event_id: null };
    socket.send(JSON.stringify({ type: "error", event_id: `event_${randomHex(12)}`, error }));
    socket.close(3000, "invalid_request_error.invalid_api_key");
    return;
  }
  socket.send(
    JSON.stringify({
      type: "session.created",
      event_id: `event_${randomHex(12)}`,
      session: realtimeSession(undefined),
    }),
  );
}

export const openai: VendorEmulator = {
  vendor: "openai",
  method: "POST",
  path: "/v1/realtime/client_secrets",
  masterKey: API_KEY,
  errorReply: (status, message) => errorReply(status, message),
  malformedReply: json(200, { expires_at: Math.floor(Date.now() / 1000) + 600, session: realtimeSession(undefined) }),

  handle({ headers, rawBody, keys }) {
    const token = bearerToken(headers);
    if (token === undefined) return errorReply(401, NO_API_KEY);
    if (token !== API_KEY) {
      return errorReply(
        401,
        `Incorrect API key provided: ${maskedKey(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        null,
        "invalid_api_key",
      );
    }
    let body: unknown;
    try {
      if (!headers["content-type"]?.startsWith("application/json")) throw new Error("not JSON");
      body = rawBody === "" ? {} : JSON.parse(rawBody);
    } catch {
      return errorReply(400, NOT_JSON);
    }
    let seconds: number;
    let session: Record<string, unknown>;
    try {
      const request = object(body, "", PARAMETERS[""]!);
      const expiresAfter =
        request.expires_after === undefined
          ? {}
          : object(request.expires_after, "expires_after", PARAMETERS.expires_after!);
      if (expiresAfter.anchor !== undefined) oneOf(expiresAfter.anchor, "expires_after.anchor", ["created_at"]);
      seconds = ttlSeconds(expiresAfter.seconds);
      session = effectiveSession(request.session);
    } catch (error) {
      if (error instanceof Invalid) return errorReply(400, error.message, error.param || null, error.code);
      throw error;
    }
    const expiresAt = Math.floor(Date.now() / 1000) + seconds;
    const value = `ek_${randomHex(16)}`;
    keys.issue(value, {
      vendor: "openai",
      expiresAt: expiresAt * 1000,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(200, { value, expires_at: expiresAt, session });
  },

  keyUse: [
    { kind: "websocket", path: "/v1/realtime", open: openRealtimeSocket },
    /**
     * WebRTC: the client posts its SDP offer (`application/sdp`) with the client
     * secret as bearer token, and gets `201` with the SDP answer and the call's
     * `Location`. The secret stays usable for more calls until it expires. (The
     * real endpoint also takes a standard API key, which no client of the broker
     * holds; the emulator takes client secrets only. OpenAI does not document its
     * wording for an expired secret; the emulator's is its own.)
     */
    {
      kind: "http",
      method: "POST",
      path: "/v1/realtime/calls",
      handle({ headers, rawBody, remoteIp, keys }) {
        const token = bearerToken(headers);
        if (token === undefined) return errorReply(401, NO_API_KEY);
        const refusal = keys.use("openai", token, remoteIp);
        if (refusal === "expired") {
          return errorReply(401, "The client secret provided has expired.", null, "invalid_api_key");
        }
        if (refusal) {
          return errorReply(
            401,
            `Incorrect API key provided: ${maskedKey(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            null,
            "invalid_api_key",
          );
        }
        if (!headers["content-type"]?.startsWith("application/sdp")) {
          return errorReply(
            400,
            "Unsupported content type. Send the SDP offer as application/sdp.",
            null,
            "unsupported_content_type",
          );
        }
        if (!rawBody.startsWith("v=0")) return errorReply(400, "Invalid SDP offer.", "sdp", "invalid_offer");
        return {
          status: 201,
          headers: { "content-type": "application/sdp", location: `/v1/realtime/calls/rtc_${randomHex(16)}` },
          body: sdpAnswer(),
        };
      },
    },
  ],
};
