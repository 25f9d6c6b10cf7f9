import type { KeyRegistry } from "./keys";
import type { IncomingHeaders } from "./recorded";
import {
  bearerToken,
  type EmulatorReply,
  isInteger,
  json,
  parseJsonMessage,
  randomToken,
  streamTranscript,
  type VendorEmulator,
} from "./types";

/**
 * Mistral `POST /v1/client/sessions` (docs "Realtime transcription › Client
 * authentication", API reference "Create Client Session", @mistralai/mistralai
 * `realtime.sessions.create`): the account's API key in `Authorization: Bearer <key>`,
 * a JSON body `{"purpose": "realtime", "model", "ttl_seconds"?}` (the SDK's optional
 * integer `ttl_seconds`), answering 201
 * `{"object": "client.session", "purpose", "expires_at", "client_secret": {"value": "rt_…", "expires_at"}}`.
 *
 * The `rt_` token opens the realtime transcription WebSocket
 * `/v1/audio/transcriptions/realtime?model=<m>` for the model it was minted for,
 * presented as the subprotocols `realtime, rt_…` (a browser cannot set headers).
 *
 * A validation error is FastAPI's 422 `{"detail": [{"loc", "msg", "type"}]}`, the
 * SDK's `HTTPValidationError`; other errors are `{"message", "request_id"}`. The exact
 * wording is this emulator's own. Mistral states neither a default nor a range for
 * `ttl_seconds`: this emulator grants 60 s when it is left out (the documented example
 * answer) and accepts 1..3600.
 */
const PATH = "/v1/client/sessions";
const REALTIME_PATH = "/v1/audio/transcriptions/realtime";
const MODELS = new Set(["voxtral-mini-transcribe-realtime-2602"]);
const KNOWN_FIELDS = new Set(["purpose", "model", "ttl_seconds"]);
const DEFAULT_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 3600;
const MASTER_KEY = "mistral-master-key-for-tests";

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, { message, request_id: crypto.randomUUID().replaceAll("-", "") });
}

function invalid(field: string, msg: string, type = "value_error"): EmulatorReply {
  return json(422, { detail: [{ loc: ["body", field], msg, type }] });
}

/** The model each issued token is scoped to, which the socket checks besides the registry's expiry. */
const modelOf = new Map<string, string>();

/** The `rt_` token a browser offers as the subprotocols `realtime, rt_…`. */
function offeredToken(headers: IncomingHeaders): string | undefined {
  const protocols = String(headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim());
  const [name, token] = protocols;
  return name === "realtime" && token ? token : undefined;
}

function handshakeRefusal(
  query: URLSearchParams,
  headers: IncomingHeaders,
  remoteIp: string,
  keys: KeyRegistry,
): EmulatorReply | undefined {
  const model = query.get("model");
  if (!model) return invalid("model", "Field required", "missing");
  const token = offeredToken(headers);
  if (!token) return errorReply(401, "Unauthorized");
  if (keys.use("mistral", token, remoteIp) !== undefined) return errorReply(401, "Invalid or expired token");
  if (modelOf.get(token) !== model) return errorReply(403, `the token is not valid for model ${model}`);
  return undefined;
}

export const mistral: VendorEmulator = {
  vendor: "mistral",
  method: "POST",
  path: PATH,
  masterKey: MASTER_KEY,
  errorReply,
  malformedReply: json(201, { object: "client.session", purpose: "realtime" }),

  handle({ headers, rawBody, keys }) {
    if (bearerToken(headers) !== MASTER_KEY) return errorReply(401, "Unauthorized");
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return json(422, { detail: [{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }] });
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return invalid("body", "Input should be a valid dictionary", "model_attributes_type");
    }
    const fields = body as Record<string, unknown>;
    for (const field of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(field)) return invalid(field, "Extra inputs are not permitted", "extra_forbidden");
    }
    if (fields.purpose !== "realtime") return invalid("purpose", "Input should be 'realtime'", "literal_error");
    if (typeof fields.model !== "string") return invalid("model", "Field required", "missing");
    if (!MODELS.has(fields.model)) return errorReply(400, `Invalid model: ${fields.model}`);
    const ttl = fields.ttl_seconds ?? DEFAULT_TTL_SECONDS;
    if (!isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
      return invalid("ttl_seconds", `Input should be an integer from 1 to ${MAX_TTL_SECONDS}`);
    }
    const token = `rt_${randomToken(40)}`;
    const expiresAtMs = Date.now() + ttl * 1000;
    keys.issue(token, {
      vendor: "mistral",
      expiresAt: expiresAtMs,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    modelOf.set(token, fields.model);
    const expiresAt = new Date(expiresAtMs).toISOString();
    return json(201, {
      object: "client.session",
      purpose: "realtime",
      expires_at: expiresAt,
      client_secret: { value: token, expires_at: expiresAt },
    });
  },

  /**
   * Realtime transcription: the handshake checks the model and the token; then
   * `session.created`, and for the first `input_audio.append` each fake word comes
   * back as `transcription.text.delta`; `input_audio.end` answers `transcription.done`.
   */
  keyUse: {
    kind: "websocket",
    path: REALTIME_PATH,
    refuse: ({ query, headers, remoteIp, keys }) => handshakeRefusal(query, headers, remoteIp, keys),
    open(socket, { query }) {
      const model = query.get("model");
      socket.send(JSON.stringify({ type: "session.created", session: { request_id: crypto.randomUUID(), model } }));
      let started = false;
      let text = "";
      let transcribed = false;
      let endPending = false;
      const done = () => {
        socket.send(JSON.stringify({ type: "transcription.done", model, text: text.trim() }));
        socket.close(1000);
      };
      socket.on("message", (data) => {
        const message = parseJsonMessage(data);
        if (message.type === "input_audio.append" && !started) {
          started = true;
          streamTranscript(
            socket,
            (word) => {
              text += ` ${word}`;
              return JSON.stringify({ type: "transcription.text.delta", text: ` ${word}` });
            },
            () => {
              transcribed = true;
              if (endPending && socket.readyState === socket.OPEN) done();
            },
          );
        } else if (message.type === "input_audio.end") {
          if (transcribed || !started) done();
          else endPending = true;
        }
      });
    },
  },
};
