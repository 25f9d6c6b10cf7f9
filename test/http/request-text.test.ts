import { describe, expect, it } from "vitest";
import { MAX_REQUEST_BODY_BYTES } from "../../src/constants";
import { readRequestText } from "../../src/http/request-text";

/** A chunked request body (no Content-Length): `chunks` as given, then an error when `breaksOff`. */
function streamedRequest(chunks: Uint8Array[], breaksOff: boolean): Request {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else if (breaksOff) controller.error(new Error("client went away"));
      else controller.close();
    },
  });
  return new Request("https://broker.test/v1/keys/soniox", { method: "POST", body });
}

const overTheCap = () => [new Uint8Array(MAX_REQUEST_BODY_BYTES), new Uint8Array(1024)];

describe("readRequestText", () => {
  it("reads a body within the cap", async () => {
    const text = new TextEncoder().encode('{"ttl_seconds":60}');
    expect(await readRequestText(streamedRequest([text], false), MAX_REQUEST_BODY_BYTES)).toBe('{"ttl_seconds":60}');
  });

  it("answers too large for a chunked body past the cap, drained to its end", async () => {
    expect(await readRequestText(streamedRequest(overTheCap(), false), MAX_REQUEST_BODY_BYTES)).toBeUndefined();
  });

  it("still answers too large when the body breaks off while it is drained", async () => {
    expect(await readRequestText(streamedRequest(overTheCap(), true), MAX_REQUEST_BODY_BYTES)).toBeUndefined();
  });
});
