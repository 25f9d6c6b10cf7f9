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
 * Soniox `POST /v1/auth/temporary-api-key`, per the seed: required usage_type
 * and expires_in_seconds (1..3600), optional client_reference_id (<= 256),
 * single_use and max_session_duration_seconds (1..18000).
 */
const USAGE_TYPES = ["transcribe_websocket", "tts_rt"];
/**
 * The real-time models the speech socket serves: those Soniox lists as active, and
 * `stt-rt-v3`, an alias Soniox keeps for a newer one. Anything else, such as the
 * retired `stt-rt-preview` and `stt-rt-preview-v2`, is refused as Soniox refuses it.
 * @see https://soniox.com/docs/stt/models
 */
const REALTIME_MODELS = ["stt-rt-v3", "stt-rt-v4", "stt-rt-v5"];
const KNOWN_FIELDS = new Set([
  "usage_type",
  "expires_in_seconds",
  "client_reference_id",
  "single_use",
  "max_session_duration_seconds",
]);

interface ValidationError {
  error_type: string;
  location: string;
  message: string;
}

function errorReply(status: number, message: string, validationErrors: ValidationError[] = []): EmulatorReply {
  const errorType =
    { 400: "invalid_request", 401: "unauthenticated", 429: "limit_exceeded" }[status] ?? "internal_error";
  return json(status, {
    status_code: status,
    error_type: errorType,
    message,
    validation_errors: validationErrors,
    request_id: crypto.randomUUID(),
  });
}

function rangeError(field: string, value: unknown, min: number, max: number): ValidationError | undefined {
  const location = `body.payload.${field}`;
  if (!isInteger(value)) return { error_type: "int_type", location, message: "Input should be a valid integer" };
  if (value < min)
    return { error_type: "greater_than_equal", location, message: `Input should be greater than or equal to ${min}` };
  if (value > max)
    return { error_type: "less_than_equal", location, message: `Input should be less than or equal to ${max}` };
  return undefined;
}

export const soniox: VendorEmulator = {
  vendor: "soniox",
  method: "POST",
  path: "/v1/auth/temporary-api-key",
  masterKey: "soniox-master-key-for-tests",
  errorReply: (status, message) => errorReply(status, message),
  malformedReply: json(201, { expires_at: new Date().toISOString() }),

  handle({ headers, rawBody, keys }) {
    if (headers.authorization !== `Bearer ${this.masterKey}`) {
      return errorReply(401, "Incorrect API key provided. You can get an API key at https://console.soniox.com");
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errorReply(400, "Your request did not pass validation.", [
        { error_type: "json_invalid", location: "body", message: "JSON decode error" },
      ]);
    }
    const errors: ValidationError[] = [];
    if (!USAGE_TYPES.includes(body.usage_type as string)) {
      errors.push({
        error_type: body.usage_type === undefined ? "missing" : "enum",
        location: "body.payload.usage_type",
        message: "Input should be 'transcribe_websocket' or 'tts_rt'",
      });
    }
    const ttlError =
      body.expires_in_seconds === undefined
        ? { error_type: "missing", location: "body.payload.expires_in_seconds", message: "Field required" }
        : rangeError("expires_in_seconds", body.expires_in_seconds, 1, 3600);
    if (ttlError) errors.push(ttlError);
    const ref = body.client_reference_id;
    if (ref !== undefined && (typeof ref !== "string" || ref.length > 256)) {
      errors.push({
        error_type: "string_too_long",
        location: "body.payload.client_reference_id",
        message: "String should have at most 256 characters",
      });
    }
    if (body.single_use !== undefined && typeof body.single_use !== "boolean") {
      errors.push({
        error_type: "bool_type",
        location: "body.payload.single_use",
        message: "Input should be a valid boolean",
      });
    }
    if (body.max_session_duration_seconds !== undefined) {
      const error = rangeError("max_session_duration_seconds", body.max_session_duration_seconds, 1, 18000);
      if (error) errors.push(error);
    }
    for (const field of Object.keys(body)) {
      if (!KNOWN_FIELDS.has(field)) {
        errors.push({
          error_type: "extra_forbidden",
          location: `body.payload.${field}`,
          message: "Extra inputs are not permitted",
        });
      }
    }
    if (errors.length > 0) {
      return errorReply(
        400,
        "Your request did not pass validation. One or more fields in the request body are missing or have invalid values. See `validation_errors` for the specific field and retry with corrected values.",
        errors,
      );
    }
    const expiresAt = new Date(Date.now() + (body.expires_in_seconds as number) * 1000);
    const apiKey = `temp:${randomToken(26)}`;
    keys.issue(apiKey, {
      vendor: "soniox",
      expiresAt: expiresAt.getTime(),
      singleUse: body.single_use === true,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(201, { api_key: apiKey, expires_at: expiresAt.toISOString() });
  },

  /**
   * Real-time transcription: the client's first message is a JSON config with
   * `api_key` and `model`; Soniox answers tokens, or an error object, then closes.
   */
  keyUse: {
    kind: "websocket",
    path: "/transcribe-websocket",
    open(socket, { remoteIp, keys }) {
      socket.once("message", (data) => {
        const config = parseJsonMessage(data);
        const refusal = typeof config.api_key === "string" ? keys.use("soniox", config.api_key, remoteIp) : "unknown";
        if (refusal) {
          const message =
            refusal === "already_used"
              ? "Temporary API key was already used."
              : refusal === "expired"
                ? "Temporary API key has expired."
                : "Invalid API key.";
          socket.send(JSON.stringify({ error_code: 401, error_message: message }));
          return socket.close(1008, "unauthenticated");
        }
        if (!REALTIME_MODELS.includes(config.model as string)) {
          // Soniox's documented answer to a model it does not serve.
          socket.send(JSON.stringify({ error_code: 400, error_message: "Invalid model specified." }));
          return socket.close(1008, "invalid_request");
        }
        streamTranscript(
          socket,
          (word) => JSON.stringify({ tokens: [{ text: `${word} `, is_final: true }] }),
          () => {
            socket.send(JSON.stringify({ tokens: [], finished: true }));
            socket.close(1000);
          },
        );
      });
    },
  },
};
