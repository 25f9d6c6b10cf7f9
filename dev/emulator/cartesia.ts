import type { KeyRegistry } from "./keys";
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
 * Cartesia `POST /access-token` (API reference "Generate a New Access Token",
 * @cartesia/cartesia-js `accessToken.create`): the account's API key in
 * `Authorization: Bearer <key>` and a `Cartesia-Version: YYYY-MM-DD` header, a JSON
 * body `{"grants": {"tts"?, "stt"?, "agent"?}, "expires_in"?}` (booleans; at most
 * 3600 seconds), answering 200 `{"token"}` and nothing else: no expiry comes back.
 *
 * The token opens the granted APIs until it expires, any number of times. A
 * browser passes it as `?access_token=<token>&cartesia_version=<date>` on
 * `/stt/websocket` or `/tts/websocket` ("API Conventions": on a WebSocket the
 * query's `cartesia_version` takes precedence over the header); a token without
 * the endpoint's grant is refused at the handshake.
 *
 * Error bodies follow "API Errors" (Cartesia-Version 2026-03-01 on):
 * `{"error_code", "title", "message", "request_id"}`. The exact wording of each
 * message is this emulator's own, as is the refusal of unknown fields; when
 * `expires_in` is left out, Cartesia states no default, so this emulator grants 3600.
 */
const PATH = "/access-token";
const MAX_EXPIRES_IN = 3600;
const GRANTS = ["tts", "stt", "agent"] as const;
const KNOWN_FIELDS = new Set(["grants", "expires_in"]);
const MASTER_KEY = "cartesia-master-key-for-tests";

const TITLES: Record<number, { code: string | null; title: string }> = {
  400: { code: "invalid_request", title: "Invalid request" },
  401: { code: "unauthorized", title: "Unauthorized" },
  403: { code: "forbidden", title: "Forbidden" },
  404: { code: "not_found", title: "Not found" },
  422: { code: "invalid_request", title: "Invalid request" },
  429: { code: "rate_limited", title: "Too many requests" },
};

function errorReply(status: number, message: string): EmulatorReply {
  const { code, title } = TITLES[status] ?? { code: null, title: "Internal server error" };
  return json(status, { error_code: code, title, message, request_id: crypto.randomUUID() });
}

/** The grants of each issued token, which the socket checks besides the registry's expiry. */
const grantsOf = new Map<string, Set<string>>();

function invalid(message: string): EmulatorReply {
  return errorReply(400, message);
}

/** The version a request names, header or query (the query wins on a WebSocket); undefined when none or not a date. */
function versionOf(headers: IncomingHeaders, query?: URLSearchParams): string | undefined {
  const version = query?.get("cartesia_version") ?? headers["cartesia-version"];
  const text = Array.isArray(version) ? version[0] : version;
  return text && /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined;
}

function handshakeRefusal(
  grant: "stt" | "tts",
  query: URLSearchParams,
  headers: IncomingHeaders,
  remoteIp: string,
  keys: KeyRegistry,
): EmulatorReply | undefined {
  if (!versionOf(headers, query)) return invalid("cartesia_version must be a date such as 2026-08-14");
  const token = query.get("access_token") ?? bearerToken(headers);
  if (!token) return errorReply(401, "an access_token is required");
  if (keys.use("cartesia", token, remoteIp) !== undefined) return errorReply(401, "Invalid or expired access token");
  if (!grantsOf.get(token)?.has(grant)) return errorReply(403, `the access token has no ${grant} grant`);
  return undefined;
}

function transcript(text: string, isFinal: boolean): string {
  return JSON.stringify({ type: "transcript", is_final: isFinal, text, request_id: crypto.randomUUID() });
}

const stt: KeyUseEndpoint = {
  kind: "websocket",
  path: "/stt/websocket",
  refuse: ({ query, headers, remoteIp, keys }) => handshakeRefusal("stt", query, headers, remoteIp, keys),
  /**
   * Audio in; each fake word comes back as a final transcript. `finalize` is answered
   * with `flush_done` once the audio so far is transcribed; `done` answers `done` and closes.
   */
  open(socket) {
    let started = false;
    let transcribed = false;
    let flushPending = false;
    const flushDone = () => socket.send(JSON.stringify({ type: "flush_done", request_id: crypto.randomUUID() }));
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        if (started) return;
        started = true;
        streamTranscript(
          socket,
          (word) => transcript(word, true),
          () => {
            transcribed = true;
            if (flushPending && socket.readyState === socket.OPEN) flushDone();
          },
        );
        return;
      }
      const command = String(data).trim();
      if (command === "done") {
        socket.send(JSON.stringify({ type: "done", request_id: crypto.randomUUID() }));
        socket.close(1000);
      } else if (command === "finalize") {
        if (transcribed || !started) flushDone();
        else flushPending = true;
      }
    });
  },
};

const tts: KeyUseEndpoint = {
  kind: "websocket",
  path: "/tts/websocket",
  refuse: ({ query, headers, remoteIp, keys }) => handshakeRefusal("tts", query, headers, remoteIp, keys),
  /** A generation request in; one silent audio chunk and `done` out, under the request's `context_id`. */
  open(socket) {
    socket.on("message", (data) => {
      const request = parseJsonMessage(data);
      const contextId = typeof request.context_id === "string" ? request.context_id : crypto.randomUUID();
      if (typeof request.transcript !== "string") {
        const error = { type: "error", done: true, status_code: 400, error_code: "invalid_request" };
        socket.send(JSON.stringify({ ...error, title: "Invalid request", message: "transcript is required" }));
        return;
      }
      const chunk = Buffer.alloc(320).toString("base64");
      socket.send(JSON.stringify({ type: "chunk", data: chunk, done: false, status_code: 206, context_id: contextId }));
      socket.send(JSON.stringify({ type: "done", done: true, status_code: 200, context_id: contextId }));
    });
  },
};

export const cartesia: VendorEmulator = {
  vendor: "cartesia",
  method: "POST",
  path: PATH,
  masterKey: MASTER_KEY,
  errorReply,
  malformedReply: json(200, { expires_in: 600 }),

  handle({ headers, rawBody, keys }) {
    if (bearerToken(headers) !== MASTER_KEY) return errorReply(401, "Invalid API key");
    if (!versionOf(headers)) return invalid("Cartesia-Version header must be a date such as 2026-08-14");
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
      if (!KNOWN_FIELDS.has(field)) return invalid(`unknown field ${field}`);
    }
    const expiresIn = fields.expires_in ?? MAX_EXPIRES_IN;
    if (!isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN) {
      return invalid(`expires_in must be an integer from 1 to ${MAX_EXPIRES_IN}`);
    }
    const grants = new Set<string>();
    const asked = fields.grants ?? {};
    if (asked === null || typeof asked !== "object" || Array.isArray(asked)) return invalid("grants must be an object");
    for (const [name, value] of Object.entries(asked)) {
      if (!(GRANTS as readonly string[]).includes(name)) return invalid(`unknown grant ${name}`);
      if (value !== null && typeof value !== "boolean") return invalid(`grants.${name} must be a boolean`);
      if (value) grants.add(name);
    }
    const token = `sk_car_at_${randomToken(32)}`;
    const expiresAt = Date.now() + expiresIn * 1000;
    keys.issue(token, { vendor: "cartesia", expiresAt, singleUse: false, allowedIps: [], serviceAuthValid: true });
    grantsOf.set(token, grants);
    return json(200, { token });
  },

  keyUse: [stt, tts],
};
