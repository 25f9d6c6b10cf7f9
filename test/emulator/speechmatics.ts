import { type EmulatorReply, isInteger, json, randomToken, type VendorEmulator } from "./types";

/**
 * Speechmatics `POST /v1/api_keys?type=rt|batch`, per the seed: type defaults
 * to batch, ttl is required (60..3600), client_ref is a string, region
 * (eu|usa|au) applies to batch only. The key comes back as `key_value`.
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

  handle({ query, headers, rawBody }) {
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
    if (body.region !== undefined) {
      if (type !== "batch") return errorReply(400, "region is only supported for batch keys");
      if (!REGIONS.includes(body.region as string)) return errorReply(400, "region must be one of: eu, usa, au");
    }
    const unknown = Object.keys(body).filter((field) => !["ttl", "client_ref", "region"].includes(field));
    if (unknown.length > 0) return errorReply(400, `unknown fields: ${unknown.join(", ")}`);
    return json(201, { apikey_id: crypto.randomUUID(), key_value: randomToken(32) });
  },
};
