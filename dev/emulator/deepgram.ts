import type { KeyRegistry } from "./keys";
import type { IncomingHeaders } from "./recorded";
import { type EmulatorReply, json, randomToken, streamTranscript, type VendorEmulator } from "./types";

/**
 * Deepgram `POST /v1/auth/grant` (API reference "auth/tokens/grant", @deepgram/sdk
 * `auth.v1.tokens.grant`): the account's API key in `Authorization: Token <key>`,
 * an optional JSON body `{"ttl_seconds"}` (1..3600, default 30), answering 200
 * `{"access_token": <JWT>, "expires_in": <seconds>}`; Deepgram documents `expires_in`
 * as a number or null (the `expiry-null` fault answers null). The JWT opens Deepgram's
 * voice APIs (here the live `/v1/listen` WebSocket) as `Authorization: Bearer <jwt>`,
 * or from a browser as the WebSocket subprotocols `bearer, <jwt>`, any number of
 * times until it expires.
 *
 * Error bodies: `{"err_code","err_msg","request_id"}` (401 is documented as
 * `INVALID_AUTH` / "Invalid credentials."), and `{"category","message","details",
 * "request_id"}` for JSON that cannot be read. The grant's range message and
 * the refusal of unknown fields are this emulator's own: Deepgram documents the
 * range (through its SDKs) but not its wording.
 */
const GRANT_PATH = "/v1/auth/grant";
const LISTEN_PATH = "/v1/listen";
const MIN_TTL_SECONDS = 1;
const MAX_TTL_SECONDS = 3600;
/** What Deepgram grants when the body names no TTL. */
const DEFAULT_TTL_SECONDS = 30;
const KNOWN_FIELDS = new Set(["ttl_seconds"]);

const ERROR_CODES: Record<number, string> = {
  400: "Bad Request",
  401: "INVALID_AUTH",
  403: "INSUFFICIENT_PERMISSIONS",
  404: "Not Found",
  422: "Unprocessable Entity",
  429: "TOO_MANY_REQUESTS",
};

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, {
    err_code: ERROR_CODES[status] ?? "INTERNAL_SERVER_ERROR",
    err_msg: message,
    request_id: crypto.randomUUID(),
  });
}

function invalidJson(details: string): EmulatorReply {
  return json(400, {
    category: "INVALID_JSON",
    message: "Invalid JSON submitted.",
    details,
    request_id: crypto.randomUUID(),
  });
}

const INVALID_CREDENTIALS = "Invalid credentials.";

/** A JWT-shaped token; only this emulator's registry knows whether it is valid. */
function jwt(expiresAtMs: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = part({ alg: "HS256", typ: "JWT" });
  const payload = part({
    iss: "https://api.deepgram.com",
    scope: "usage:write",
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(expiresAtMs / 1000),
  });
  return `${header}.${payload}.${randomToken(43)}`;
}

/** The credential a live request carries: from `Authorization`, or from a browser's subprotocols. */
function presented(headers: IncomingHeaders): { scheme: "token" | "bearer"; credential: string } | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^(Token|Bearer) (\S+)$/.exec(authorization);
    if (!match) return undefined;
    return { scheme: match[1] === "Token" ? "token" : "bearer", credential: match[2] as string };
  }
  const protocols = String(headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim());
  const [scheme, credential] = protocols;
  if ((scheme === "token" || scheme === "bearer") && credential) return { scheme, credential };
  return undefined;
}

const MASTER_KEY = "deepgram-master-key-for-tests";

/**
 * Why the live endpoint refuses a handshake, or undefined to accept it. API
 * keys go in the `Token` scheme and granted JWTs in `Bearer`: a JWT sent as a
 * `Token` is not an API key, and an unknown or expired JWT is refused.
 */
function listenRefusal(headers: IncomingHeaders, remoteIp: string, keys: KeyRegistry): string | undefined {
  const auth = presented(headers);
  if (!auth) return INVALID_CREDENTIALS;
  if (auth.scheme === "token") return auth.credential === MASTER_KEY ? undefined : INVALID_CREDENTIALS;
  return keys.use("deepgram", auth.credential, remoteIp) === undefined ? undefined : INVALID_CREDENTIALS;
}

export const deepgram: VendorEmulator = {
  vendor: "deepgram",
  method: "POST",
  path: GRANT_PATH,
  masterKey: MASTER_KEY,
  errorReply,
  malformedReply: json(200, { expires_in: 30 }),

  handle({ headers, rawBody, keys }) {
    if (headers.authorization !== `Token ${MASTER_KEY}`) return errorReply(401, INVALID_CREDENTIALS);
    let body: unknown = {};
    if (rawBody.trim() !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return invalidJson("Json deserialize error: expected value at line 1 column 1");
      }
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return invalidJson("Json deserialize error: invalid type, expected struct GrantV1Request");
    }
    const fields = body as Record<string, unknown>;
    for (const field of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(field)) {
        return invalidJson(`Json deserialize error: unknown field \`${field}\`, expected \`ttl_seconds\``);
      }
    }
    const ttl = fields.ttl_seconds ?? DEFAULT_TTL_SECONDS;
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
      return invalidJson("Json deserialize error: invalid type, expected f64 for `ttl_seconds`");
    }
    if (ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS) {
      return errorReply(400, `ttl_seconds must be between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS}`);
    }
    const expiresAt = Date.now() + ttl * 1000;
    const accessToken = jwt(expiresAt);
    keys.issue(accessToken, {
      vendor: "deepgram",
      expiresAt,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(200, { access_token: accessToken, expires_in: ttl });
  },

  /**
   * Live transcription: Deepgram checks the credentials at the handshake and
   * answers 401 with its error body when they fail. Once open, the client
   * streams audio; each fake word comes back as a final `Results` message, then
   * a `Metadata` message, and the socket closes normally.
   */
  keyUse: {
    kind: "websocket",
    path: LISTEN_PATH,
    refuse({ headers, remoteIp, keys }) {
      const refusal = listenRefusal(headers, remoteIp, keys);
      return refusal === undefined ? undefined : errorReply(401, refusal);
    },
    open(socket) {
      const requestId = crypto.randomUUID();
      let start = 0;
      socket.once("message", () => {
        streamTranscript(
          socket,
          (word) => {
            const message = JSON.stringify({
              type: "Results",
              channel_index: [0, 1],
              duration: 0.5,
              start,
              is_final: true,
              speech_final: true,
              channel: { alternatives: [{ transcript: word, confidence: 0.99, words: [] }] },
              metadata: { request_id: requestId },
            });
            start += 0.5;
            return message;
          },
          () => {
            socket.send(JSON.stringify({ type: "Metadata", request_id: requestId, duration: start, channels: 1 }));
            socket.close(1000);
          },
        );
      });
    },
  },
};
