import { MAX_REQUEST_BODY_BYTES } from "../constants";
import { brokerError } from "../errors";
import { readRequestText } from "./request-text";

/**
 * Reads a JSON object body with a size cap. An absent or empty body means `{}`
 * (use the defaults); anything else must be `application/json`.
 */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = await readRequestText(request, MAX_REQUEST_BODY_BYTES);
  if (text === undefined) {
    throw brokerError("payload_too_large", `request body must be at most ${MAX_REQUEST_BODY_BYTES} bytes`);
  }
  if (text.trim() === "") return {};

  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw brokerError("unsupported_media_type", "request body must be JSON (Content-Type: application/json)");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw brokerError("invalid_request", "request body is not valid JSON");
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw brokerError("invalid_request", "request body must be a JSON object");
  }
  return json as Record<string, unknown>;
}
