import type { WebSocket } from "ws";
import type { KeyRegistry } from "./keys";
import {
  type EmulatorReply,
  json,
  parseJsonMessage,
  randomToken,
  streamTranscript,
  type VendorEmulator,
} from "./types";

/**
 * Gemini Developer API `POST /v1alpha/auth_tokens` (ephemeral tokens, as
 * @google/genai `ai.authTokens.create` sends them): the account's API key in
 * `x-goog-api-key`, a JSON `AuthToken` body with optional `expireTime` (default
 * now + 30 min), `newSessionExpireTime` (default now + 60 s), both RFC 3339 and
 * less than 20 h ahead, `uses` (default 1; 0 means unlimited),
 * `bidiGenerateContentSetup` (`{model: "models/…", …}`) and `fieldMask`. It
 * answers 200 `{"name": "auth_tokens/…"}`; the name is the token.
 *
 * The token opens only the Live API's Constrained method,
 * `/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=<name>`:
 * each new session must start before `newSessionExpireTime` and consumes a use.
 * The plain `BidiGenerateContent` method takes an API key as `key=` and refuses
 * a token. Gemini accepts the upgrade and closes a refused socket with 1008;
 * the close reasons and the range messages are this emulator's own wording.
 * Error bodies are Google's `{"error": {"code", "message", "status"}}`, with a
 * wrong API key answered 400 `API_KEY_INVALID`, as Google does.
 */
const ISSUE_PATH = "/v1alpha/auth_tokens";
const SERVICE = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService";
const CONSTRAINED_PATH = `${SERVICE}.BidiGenerateContentConstrained`;
const PLAIN_PATH = `${SERVICE}.BidiGenerateContent`;
const MAX_AHEAD_MS = 20 * 3600 * 1000;
const DEFAULT_EXPIRE_MS = 30 * 60 * 1000;
const DEFAULT_NEW_SESSION_MS = 60 * 1000;
const KNOWN_FIELDS = new Set(["expireTime", "newSessionExpireTime", "uses", "bidiGenerateContentSetup", "fieldMask"]);
const MASTER_KEY = "gemini-master-key-for-tests";

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  422: "INVALID_ARGUMENT",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

function errorReply(status: number, message: string, details?: unknown[]): EmulatorReply {
  const error = { code: status, message, status: STATUS_NAMES[status] ?? "UNKNOWN", ...(details && { details }) };
  return json(status, { error });
}

const invalid = (message: string) => errorReply(400, message);

/** What a token allows beyond the registry's expiry check (which gates new sessions). */
interface TokenTerms {
  /** Sessions left; Infinity for `uses: 0`. */
  usesLeft: number;
  /** The model the token locks, when it locks one. */
  model: string | undefined;
}

/** Per registry, so one emulator's tokens never leak into another's. */
const terms = new WeakMap<KeyRegistry, Map<string, TokenTerms>>();
function termsOf(keys: KeyRegistry): Map<string, TokenTerms> {
  let map = terms.get(keys);
  if (!map) terms.set(keys, (map = new Map()));
  return map;
}

/** An RFC 3339 time, default `fallback`; an error message when unreadable or out of range. */
function readTime(value: unknown, field: string, fallback: number, now: number): number | string {
  if (value === undefined) return fallback;
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) return `Invalid value at 'auth_token.${field}' (type.googleapis.com/google.protobuf.Timestamp)`;
  if (ms <= now) return `${field} must be in the future`;
  if (ms - now >= MAX_AHEAD_MS) return `${field} must be less than 20 hours in the future`;
  return ms;
}

function issue(headers: Record<string, string | string[] | undefined>, rawBody: string, keys: KeyRegistry) {
  const apiKey = headers["x-goog-api-key"];
  if (apiKey === undefined) {
    return errorReply(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (apiKey !== MASTER_KEY) {
    return errorReply(400, "API key not valid. Please pass a valid API key.", [
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" },
    ]);
  }
  let body: unknown;
  try {
    body = rawBody.trim() === "" ? {} : JSON.parse(rawBody);
  } catch {
    return invalid("Invalid JSON payload received. Unexpected token.");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return invalid("Invalid JSON payload received. Expected an object.");
  }
  const fields = body as Record<string, unknown>;
  for (const field of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(field)) {
      return invalid(`Invalid JSON payload received. Unknown name "${field}" at 'auth_token': Cannot find field.`);
    }
  }
  const now = Date.now();
  const expireTime = readTime(fields.expireTime, "expireTime", now + DEFAULT_EXPIRE_MS, now);
  if (typeof expireTime === "string") return invalid(expireTime);
  const newSession = readTime(fields.newSessionExpireTime, "newSessionExpireTime", now + DEFAULT_NEW_SESSION_MS, now);
  if (typeof newSession === "string") return invalid(newSession);
  const uses = fields.uses ?? 1;
  if (typeof uses !== "number" || !Number.isInteger(uses) || uses < 0) {
    return invalid("Invalid value at 'auth_token.uses' (TYPE_INT32)");
  }
  let model: string | undefined;
  if (fields.bidiGenerateContentSetup !== undefined) {
    const setup = fields.bidiGenerateContentSetup as Record<string, unknown> | null;
    if (setup === null || typeof setup !== "object" || typeof setup.model !== "string") {
      return invalid("bidiGenerateContentSetup.model is required");
    }
    if (!/^models\/[\w.-]+$/.test(setup.model)) return invalid(`Invalid model name: ${setup.model}`);
    model = setup.model;
  }
  if (fields.fieldMask !== undefined && typeof fields.fieldMask !== "string") {
    return invalid("Invalid value at 'auth_token.field_mask' (type.googleapis.com/google.protobuf.FieldMask)");
  }
  const name = `auth_tokens/${randomToken(40).toLowerCase()}`;
  // The registry's expiry gates new sessions; the uses are counted here.
  keys.issue(name, {
    vendor: "gemini",
    expiresAt: Math.min(newSession, expireTime),
    singleUse: false,
    allowedIps: [],
    serviceAuthValid: true,
  });
  termsOf(keys).set(name, { usesLeft: uses === 0 ? Number.POSITIVE_INFINITY : uses, model });
  return json(200, { name });
}

const UNAUTHENTICATED = "Request had invalid authentication credentials.";

/**
 * A Live session: the client's first message is `{setup: {model}}`, answered
 * `{setupComplete: {}}`; then each fake word comes back as an input
 * transcription, a `turnComplete` follows, and the socket closes normally.
 */
function live(socket: WebSocket, lockedModel: string | undefined): void {
  socket.once("message", (data) => {
    const setup = parseJsonMessage(data).setup as Record<string, unknown> | undefined;
    if (!setup || typeof setup.model !== "string") return socket.close(1007, "setup.model is required");
    if (lockedModel !== undefined && setup.model !== lockedModel) {
      return socket.close(1008, `the token is locked to model ${lockedModel}`);
    }
    socket.send(JSON.stringify({ setupComplete: {} }));
    socket.once("message", () => {
      streamTranscript(
        socket,
        (word) => JSON.stringify({ serverContent: { inputTranscription: { text: word } } }),
        () => {
          socket.send(JSON.stringify({ serverContent: { turnComplete: true } }));
          socket.close(1000);
        },
      );
    });
  });
}

export const gemini: VendorEmulator = {
  vendor: "gemini",
  method: "POST",
  path: ISSUE_PATH,
  masterKey: MASTER_KEY,
  errorReply: (status, message) => errorReply(status, message),
  malformedReply: json(200, { uses: 1 }),

  handle({ headers, rawBody, keys }) {
    return issue(headers, rawBody, keys);
  },

  keyUse: [
    {
      kind: "websocket",
      path: CONSTRAINED_PATH,
      open(socket, { query, remoteIp, keys }) {
        const token = query.get("access_token") ?? "";
        const tokenTerms = termsOf(keys).get(token);
        if (query.has("key") || !tokenTerms || tokenTerms.usesLeft <= 0) return socket.close(1008, UNAUTHENTICATED);
        if (keys.use("gemini", token, remoteIp) !== undefined) return socket.close(1008, UNAUTHENTICATED);
        tokenTerms.usesLeft--;
        live(socket, tokenTerms.model);
      },
    },
    {
      kind: "websocket",
      path: PLAIN_PATH,
      open(socket, { query }) {
        // The plain method takes only an API key; an ephemeral token is refused here.
        if (query.get("key") !== MASTER_KEY) return socket.close(1008, UNAUTHENTICATED);
        live(socket, undefined);
      },
    },
  ],
};
