import type { KeyRegistry } from "./keys";
import { type EmulatorReply, json, randomToken, streamTranscript, type VendorEmulator } from "./types";

/**
 * Azure AI Speech `POST /sts/v1.0/issueToken` (Microsoft's "Authentication" section of
 * the Speech REST API reference): the resource key in `Ocp-Apim-Subscription-Key`, an
 * empty body, answering 200 with the token (a JWT) as a plain-text body. The token
 * lives a fixed 10 minutes and carries the resource's `region` claim. This emulator
 * stands for a custom-domain resource in region `westeurope`.
 *
 * A wrong or missing key is 401 with Azure's `{"error": {"code", "message"}}` body.
 * Azure ignores a body; this emulator refuses one (400, its own wording), so that the
 * broker is held to the documented empty body.
 *
 * The token opens the Speech SDK's WebSocket, `/stt/speech/recognition/conversation/
 * cognitiveservices/v1` on a custom domain, as the query parameter `Authorization=Bearer
 * <token>` (the SDK folds its headers into the URL), for any number of connections until it
 * expires. A bad token, or one only in a header, is refused at the handshake (401).
 */
const ISSUE_PATH = "/sts/v1.0/issueToken";
const STT_PATH = "/stt/speech/recognition/conversation/cognitiveservices/v1";
const FIXED_LIFE_SECONDS = 600;
export const EMULATOR_REGION = "westeurope";
const MASTER_KEY = "azure-speech-master-key-for-tests";

const INVALID_KEY =
  "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key " +
  "for an active subscription and use a correct regional API endpoint for your resource.";

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, { error: { code: String(status), message } });
}

/** A JWT shaped like Azure's: its claims name the region, the resource and the expiry. */
function token(expiresAtMs: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = part({ alg: "HS256", typ: "JWT" });
  const payload = part({
    region: EMULATOR_REGION,
    "subscription-id": randomToken(32).toLowerCase(),
    "product-id": "SpeechServices.S0",
    "cognitive-services-endpoint": "https://api.cognitive.microsoft.com/internal/v1.0/",
    scope: "speechservices",
    aud: "urn:ms.speechservices.westeurope",
    exp: Math.floor(expiresAtMs / 1000),
    iss: "urn:ms.cognitiveservices",
  });
  return `${header}.${payload}.${randomToken(43)}`;
}

/**
 * Why the speech socket refuses a handshake, or undefined to accept it: only a live token in the query
 * parameter `Authorization=Bearer <token>`, where the Speech SDK puts it (a browser's only way; from Node
 * it sends the header as well).
 */
function sttRefusal(query: URLSearchParams, remoteIp: string, keys: KeyRegistry): string | undefined {
  const presented = /^Bearer (\S+)$/.exec(query.get("Authorization") ?? "")?.[1];
  if (presented === undefined) return "Authorization=Bearer <token> is required";
  return keys.use("azure", presented, remoteIp) === undefined ? undefined : "the authorization token is not valid";
}

export const azure: VendorEmulator = {
  vendor: "azure",
  method: "POST",
  path: ISSUE_PATH,
  masterKey: MASTER_KEY,
  errorReply,
  malformedReply: { status: 200, headers: { "content-type": "text/plain" }, body: "" },

  handle({ headers, rawBody, keys }) {
    if (headers["ocp-apim-subscription-key"] !== MASTER_KEY) return errorReply(401, INVALID_KEY);
    if (rawBody !== "") return errorReply(400, "issueToken takes an empty body");
    const expiresAt = Date.now() + FIXED_LIFE_SECONDS * 1000;
    const issued = token(expiresAt);
    keys.issue(issued, { vendor: "azure", expiresAt, singleUse: false, allowedIps: [], serviceAuthValid: true });
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: issued };
  },

  /**
   * Speech to text, in the Speech SDK's framing (a text frame is `Name:value` header lines, a blank
   * line, then JSON): once the client's first message names its `X-RequestId`, a `turn.start`, one
   * `speech.phrase` per fake word and a `turn.end`; the client closes the socket.
   */
  keyUse: {
    kind: "websocket",
    path: STT_PATH,
    refuse({ query, remoteIp, keys }) {
      const refusal = sttRefusal(query, remoteIp, keys);
      return refusal === undefined ? undefined : errorReply(401, refusal);
    },
    open(socket) {
      socket.once("message", (data) => {
        const requestId = /X-RequestId:\s*(\w+)/i.exec(String(data))?.[1] ?? crypto.randomUUID().replace(/-/g, "");
        const frame = (path: string, body: unknown) =>
          `X-RequestId:${requestId}\r\nPath:${path}\r\nContent-Type:application/json; charset=utf-8\r\n\r\n` +
          JSON.stringify(body);
        socket.send(frame("turn.start", { context: { serviceTag: requestId } }));
        let offset = 0;
        streamTranscript(
          socket,
          (word) => {
            const phrase = { RecognitionStatus: "Success", DisplayText: word, Offset: offset, Duration: 5_000_000 };
            offset += 5_000_000;
            return frame("speech.phrase", phrase);
          },
          // The client closes the socket, as the Speech service leaves it open for the next turn.
          () => socket.send(frame("turn.end", {})),
        );
      });
    },
  },
};
