import { MAX_REQUEST_BODY_BYTES } from "../constants";
import { brokerError } from "../errors";

/**
 * Reads a JSON object body with a size cap. An absent or empty body means `{}`
 * (use the defaults); anything else must be `application/json`.
 */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > MAX_REQUEST_BODY_BYTES) throw tooLarge();
  const text = await readCappedText(request);
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

function tooLarge() {
  return brokerError("payload_too_large", `request body must be at most ${MAX_REQUEST_BODY_BYTES} bytes`);
}

/** Reads at most the cap, so a body without Content-Length cannot make us buffer without bound. */
async function readCappedText(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REQUEST_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
