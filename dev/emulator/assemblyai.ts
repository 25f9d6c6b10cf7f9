import type { WebSocket } from "ws";
import type { KeyRefusal } from "./keys";
import { type EmulatorReply, FAKE_TRANSCRIPT, json, randomToken, streamTranscript, type VendorEmulator } from "./types";

/**
 * AssemblyAI streaming v3, per its API reference ("Generate temporary streaming
 * token", "Authenticate with a temporary token", "Common session errors and
 * closures"):
 *
 *   GET /v3/token?expires_in_seconds=1..600[&max_session_duration_seconds=60..10800]
 *   with `Authorization: <key>` (no scheme) answers `{"token", "expires_in_seconds"}`;
 *   errors are `{"error": "..."}`.
 *
 *   WS /v3/ws?token=…&sample_rate=… takes one session per token. Authentication is
 *   checked after the upgrade: a refused token gets an `Error` frame
 *   (`{"type":"Error","error_code":1008,"error":"Unauthorized Connection: …"}`)
 *   and a 1008 close. A good one gets `Begin`, then `Turn`s once audio arrives,
 *   and `Termination` and a 1000 close after the client's `{"type":"Terminate"}`.
 */
const TTL_RANGE = { min: 1, max: 600 };
const SESSION_RANGE = { min: 60, max: 10_800 };
/** AssemblyAI's cap on a session when the token names none: 3 hours. */
const DEFAULT_MAX_SESSION_SECONDS = 10_800;
/** Close and error code for every authentication failure on the streaming socket. */
const UNAUTHORIZED = 1008;
/** Close and error code for an invalid client message or connection parameter. */
const INPUT_VALIDATION_ERROR = 3006;
/** Encodings that carry no sample rate of their own, so the query must name it. */
const PCM_ENCODINGS = ["pcm_s16le", "pcm_mulaw"];

/**
 * What AssemblyAI says for each refused token. An unknown token was observed to read
 * "Invalid API key"; the expired and reused wordings follow the documented
 * "Unauthorized Connection: <reason>" form (the exact reasons are not documented).
 */
const REFUSALS: Record<KeyRefusal, string> = {
  unknown: "Unauthorized Connection: Invalid API key",
  expired: "Unauthorized Connection: Temporary token has expired",
  already_used: "Unauthorized Connection: Temporary token has already been used",
  ip_not_allowed: "Unauthorized Connection: Invalid API key",
  service_auth_invalid: "Unauthorized Connection: Invalid API key",
};

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, { error: message });
}

/** An integer query parameter within a range, or the error AssemblyAI gives for it. */
function readInteger(
  query: URLSearchParams,
  name: string,
  range: { min: number; max: number },
): { value?: number; error?: string } {
  const text = query.get(name);
  if (text === null) return {};
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) return { error: `${name} must be an integer` };
  if (value < range.min || value > range.max) {
    return { error: `${name} must be between ${range.min} and ${range.max} seconds` };
  }
  return { value };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JWT-shaped token like AssemblyAI's, carrying the session cap the socket applies. */
function tokenFor(expiresAt: number, maxSessionSeconds: number): string {
  const payload = { exp: Math.floor(expiresAt / 1000), max_session_duration_seconds: maxSessionSeconds };
  return `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(payload)}.${randomToken(43)}`;
}

function sessionCapOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
      max_session_duration_seconds?: number;
    };
    return payload.max_session_duration_seconds ?? DEFAULT_MAX_SESSION_SECONDS;
  } catch {
    return DEFAULT_MAX_SESSION_SECONDS;
  }
}

/** The `Error` frame, then the close with the same code, as AssemblyAI ends a failed session. */
function fail(socket: WebSocket, code: number, error: string): void {
  socket.send(JSON.stringify({ type: "Error", error_code: code, error }));
  // A close reason holds at most 123 bytes; AssemblyAI then points at the Error frame instead.
  socket.close(code, Buffer.byteLength(error) <= 123 ? error : "See Error message for details");
}

function turn(order: number, words: string[], endOfTurn: boolean): string {
  return JSON.stringify({
    turn_order: order,
    turn_is_formatted: false,
    end_of_turn: endOfTurn,
    transcript: words.join(" "),
    end_of_turn_confidence: endOfTurn ? 0.9 : 0.1,
    words: words.map((text, i) => ({
      text,
      start: i * 300,
      end: i * 300 + 250,
      confidence: 0.95,
      word_is_final: true,
    })),
    utterance: endOfTurn ? words.join(" ") : "",
    type: "Turn",
  });
}

export const assemblyai: VendorEmulator = {
  vendor: "assemblyai",
  method: "GET",
  path: "/v3/token",
  masterKey: "assemblyai-master-key-for-tests",
  errorReply,
  malformedReply: json(200, { expires_in_seconds: 60 }),

  handle({ query, headers, keys }) {
    // The bare key: "Bearer <key>" or any other scheme is a wrong key to AssemblyAI.
    if (headers.authorization !== this.masterKey) {
      return errorReply(401, "Authentication error, API token missing/invalid");
    }
    if (query.get("expires_in_seconds") === null) return errorReply(400, "expires_in_seconds is required");
    const ttl = readInteger(query, "expires_in_seconds", TTL_RANGE);
    if (ttl.error) return errorReply(400, ttl.error);
    const session = readInteger(query, "max_session_duration_seconds", SESSION_RANGE);
    if (session.error) return errorReply(400, session.error);

    const seconds = ttl.value as number;
    const expiresAt = Date.now() + seconds * 1000;
    const token = tokenFor(expiresAt, session.value ?? DEFAULT_MAX_SESSION_SECONDS);
    keys.issue(token, { vendor: "assemblyai", expiresAt, singleUse: true, allowedIps: [], serviceAuthValid: true });
    return json(200, { token, expires_in_seconds: seconds });
  },

  keyUse: {
    kind: "websocket",
    path: "/v3/ws",
    open(socket, { query, remoteIp, keys }) {
      const token = query.get("token");
      if (!token) return fail(socket, UNAUTHORIZED, "Unauthorized Connection: Missing Authorization header");
      const refusal = keys.use("assemblyai", token, remoteIp);
      if (refusal) return fail(socket, UNAUTHORIZED, REFUSALS[refusal]);

      const encoding = query.get("encoding") ?? "pcm_s16le";
      const sampleRate = query.get("sample_rate");
      if (PCM_ENCODINGS.includes(encoding) && !(sampleRate && /^[1-9]\d*$/.test(sampleRate))) {
        return fail(socket, INPUT_VALIDATION_ERROR, "Invalid Query Parameter: sample_rate must be a positive integer");
      }

      const startedAt = Date.now();
      socket.send(
        JSON.stringify({
          type: "Begin",
          id: crypto.randomUUID(),
          expires_at: Math.floor(startedAt / 1000) + sessionCapOf(token),
        }),
      );
      let audioBytes = 0;
      socket.on("message", (data, isBinary) => {
        if (isBinary) {
          // The first audio starts the fake transcript: one growing turn, then its end.
          if (audioBytes === 0) {
            const heard: string[] = [];
            streamTranscript(
              socket,
              (word) => {
                heard.push(word);
                return turn(0, heard, false);
              },
              () => {
                if (socket.readyState === socket.OPEN) socket.send(turn(0, FAKE_TRANSCRIPT, true));
              },
            );
          }
          audioBytes += (data as Buffer).length;
          return;
        }
        let message: { type?: unknown };
        try {
          message = JSON.parse(String(data)) as { type?: unknown };
        } catch {
          return fail(socket, INPUT_VALIDATION_ERROR, `Invalid JSON: ${String(data).slice(0, 80)}`);
        }
        if (message.type === "Terminate") {
          socket.send(
            JSON.stringify({
              type: "Termination",
              // 16 kHz PCM16 mono; enough for a fake session.
              audio_duration_seconds: Math.round(audioBytes / 32_000),
              session_duration_seconds: Math.round((Date.now() - startedAt) / 1000),
            }),
          );
          return socket.close(1000, "Session Ended");
        }
        if (!["UpdateConfiguration", "ForceEndpoint", "KeepAlive"].includes(String(message.type))) {
          return fail(socket, INPUT_VALIDATION_ERROR, `Invalid Message Type: ${String(message.type)}`);
        }
      });
    },
  },
};
