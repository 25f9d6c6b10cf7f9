import {
  type EmulatorReply,
  isInteger,
  json,
  parseJsonMessage,
  randomToken,
  streamTranscript,
  type VendorEmulator,
} from "./types";

/**
 * Speechmatics `POST /v1/api_keys?type=rt|batch`, per the seed: type defaults
 * to batch, ttl is required (60..3600), client_ref is a string, region is
 * eu|usa|au (sent on rt keys too by the vendor's SDK). The key comes back as `key_value`.
 */
const REGIONS = ["eu", "usa", "au"];

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, { code: status, error: message });
}

export const speechmatics: VendorEmulator = {
  vendor: "speechmatics",
  method: "POST",
  path: "/v1/api_keys",
  masterKey: "speechmatics-master-key-for-tests",
  errorReply,
  malformedReply: json(201, { apikey_id: "no-key-here" }),

  handle({ query, headers, rawBody, keys }) {
    if (headers.authorization !== `Bearer ${this.masterKey}`) return errorReply(401, "Permission Denied");
    const type = query.get("type") ?? "batch";
    if (type !== "rt" && type !== "batch") return errorReply(400, "type must be one of: batch, rt");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errorReply(400, "Request body is not valid JSON");
    }
    if (!isInteger(body.ttl) || body.ttl < 60 || body.ttl > 3600) {
      return errorReply(400, "ttl must be an integer between 60 and 3600");
    }
    if (body.client_ref !== undefined && typeof body.client_ref !== "string") {
      return errorReply(400, "client_ref must be a string");
    }
    // Speechmatics' own SDK (@speechmatics/auth) sends region on rt keys too, so the service takes it.
    if (body.region !== undefined && !REGIONS.includes(body.region as string)) {
      return errorReply(400, "region must be one of: eu, usa, au");
    }
    const unknown = Object.keys(body).filter((field) => !["ttl", "client_ref", "region"].includes(field));
    if (unknown.length > 0) return errorReply(400, `unknown fields: ${unknown.join(", ")}`);
    const keyValue = randomToken(32);
    keys.issue(keyValue, {
      vendor: "speechmatics",
      expiresAt: Date.now() + body.ttl * 1000,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(201, { apikey_id: crypto.randomUUID(), key_value: keyValue });
  },

  /**
   * Real-time API: the temporary key comes as `?jwt=`; the client sends
   * StartRecognition and gets RecognitionStarted, AddTranscript messages and
   * EndOfTranscript, or an Error message.
   */
  keyUse: {
    kind: "websocket",
    path: "/v2",
    open(socket, { query, remoteIp, keys }) {
      const refusal = keys.use("speechmatics", query.get("jwt") ?? "", remoteIp);
      socket.once("message", (data) => {
        const start = parseJsonMessage(data);
        if (refusal) {
          socket.send(
            JSON.stringify({
              message: "Error",
              type: "not_authorised",
              reason: `temporary key ${refusal.replace(/_/g, " ")}`,
            }),
          );
          return socket.close(1008, "not_authorised");
        }
        if (start.message !== "StartRecognition") {
          socket.send(
            JSON.stringify({ message: "Error", type: "protocol_error", reason: "expected StartRecognition" }),
          );
          return socket.close(1002, "protocol_error");
        }
        socket.send(JSON.stringify({ message: "RecognitionStarted", id: crypto.randomUUID() }));
        streamTranscript(
          socket,
          (word) => JSON.stringify({ message: "AddTranscript", metadata: { transcript: `${word} ` }, results: [] }),
          () => {
            socket.send(JSON.stringify({ message: "EndOfTranscript" }));
            socket.close(1000);
          },
        );
      });
    },
  },
};
