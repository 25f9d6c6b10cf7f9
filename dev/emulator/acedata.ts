import { bearerToken, type EmulatorReply, FAKE_TRANSCRIPT, json, randomToken, type VendorEmulator } from "./types";

/**
 * AceData `POST /api/v1/credentials/`, per the seed: `application_id` (UUID)
 * required, optional `host`, `limited_amount` (number or null) and
 * `expired_at` (ISO-8601 or null, where null never expires). Errors follow
 * Django REST Framework's shape, which the trailing-slash API suggests.
 */
const PLATFORM_TOKEN = "acedata-platform-token-for-tests";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function errorReply(status: number, message: string): EmulatorReply {
  return json(status, { detail: message });
}

export const acedata: VendorEmulator = {
  vendor: "acedata",
  method: "POST",
  path: "/api/v1/credentials/",
  masterKey: PLATFORM_TOKEN,
  errorReply,
  malformedReply: json(201, { id: crypto.randomUUID(), type: "Token", token: null }),

  handle({ headers, rawBody, keys }) {
    if (headers.authorization === undefined) return errorReply(401, "Authentication credentials were not provided.");
    if (headers.authorization !== `Bearer ${PLATFORM_TOKEN}`) return errorReply(401, "Invalid token.");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errorReply(400, "JSON parse error");
    }
    const errors: Record<string, string[]> = {};
    if (body.application_id === undefined) errors.application_id = ["This field is required."];
    else if (typeof body.application_id !== "string" || !UUID.test(body.application_id)) {
      errors.application_id = ["Must be a valid UUID."];
    }
    if (body.limited_amount !== undefined && body.limited_amount !== null && typeof body.limited_amount !== "number") {
      errors.limited_amount = ["A valid number is required."];
    }
    if (
      body.expired_at !== undefined &&
      body.expired_at !== null &&
      Number.isNaN(Date.parse(String(body.expired_at)))
    ) {
      errors.expired_at = ["Datetime has wrong format."];
    }
    if (body.host !== undefined && body.host !== null && typeof body.host !== "string") {
      errors.host = ["Not a valid string."];
    }
    if (Object.keys(errors).length > 0) return json(400, errors);

    const now = new Date().toISOString();
    const token = `sk-${randomToken(40)}`;
    keys.issue(token, {
      vendor: "acedata",
      expiresAt: body.expired_at ? Date.parse(String(body.expired_at)) : Number.POSITIVE_INFINITY,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(201, {
      id: crypto.randomUUID(),
      user_id: crypto.randomUUID(),
      application_id: body.application_id,
      type: "Token",
      token,
      username: null,
      password: null,
      host: body.host ?? null,
      limited_amount: body.limited_amount ?? null,
      used_amount: 0,
      expired_at: body.expired_at ?? null,
      created_at: now,
      updated_at: now,
    });
  },

  /** An AI API call with the credential as bearer token, answered with a fake completion. */
  keyUse: {
    kind: "http",
    method: "POST",
    path: "/v1/chat/completions",
    handle({ headers, remoteIp, keys }) {
      const token = bearerToken(headers) ?? "";
      const refusal = keys.use("acedata", token, remoteIp);
      if (refusal)
        return json(401, { error: { code: "invalid_token", message: `credential ${refusal.replace(/_/g, " ")}` } });
      return json(200, {
        id: `chatcmpl-${randomToken(12)}`,
        object: "chat.completion",
        choices: [
          { index: 0, message: { role: "assistant", content: FAKE_TRANSCRIPT.join(" ") }, finish_reason: "stop" },
        ],
      });
    },
  },
};
