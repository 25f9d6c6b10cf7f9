import { describe, expect, it } from "vitest";
import { auditRecord } from "../helpers/audit";
import { call, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

async function post(body: string | undefined, headers: Record<string, string> = {}, user = uniqueUser()) {
  return call("/v1/keys/soniox", { method: "POST", headers: { ...(await bearer(user)), ...headers }, body });
}

describe("POST /v1/keys/{vendor} request handling", () => {
  it("treats an absent body as defaults", async () => {
    const response = await post(undefined);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: 300 });
  });

  it("treats {} as defaults", async () => {
    expect((await post("{}", { "content-type": "application/json" })).status).toBe(201);
  });

  it("accepts a JSON content type with a charset", async () => {
    expect((await post("{}", { "content-type": "application/json; charset=utf-8" })).status).toBe(201);
  });

  it("refuses a body that is not JSON with 415", async () => {
    const user = uniqueUser();
    await expectError(
      await post("ttl_seconds=60", { "content-type": "application/x-www-form-urlencoded" }, user),
      415,
      "unsupported_media_type",
    );
    await expectError(await post("{}", { "content-type": "text/plain" }), 415, "unsupported_media_type");
    expect(await receivedFor(user)).toHaveLength(0);
  });

  it("refuses invalid JSON with 400", async () => {
    const error = await expectError(
      await post("{ttl_seconds:", { "content-type": "application/json" }),
      400,
      "invalid_request",
    );
    expect(error.message).toBe("request body is not valid JSON");
  });

  it.each(["[]", "42", '"text"', "null"])("refuses the JSON value %s, which is not an object", async (body) => {
    await expectError(await post(body, { "content-type": "application/json" }), 400, "invalid_request");
  });

  it("refuses a body over 16 KiB with 413", async () => {
    const body = JSON.stringify({ padding: "x".repeat(17 * 1024) });
    await expectError(await post(body, { "content-type": "application/json" }), 413, "payload_too_large");
  });

  it("refuses a streamed body over 16 KiB that declares no length", async () => {
    const chunk = new TextEncoder().encode(`{"p":"${"x".repeat(4096)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const request = new Request("https://broker.test/v1/keys/soniox", {
      method: "POST",
      headers: { ...(await bearer(uniqueUser())), "content-type": "application/json" },
      body: stream,
    });
    expect(request.headers.get("content-length")).toBeNull();
    const { default: worker } = await import("../../src/index");
    const { brokerEnv } = await import("../helpers/broker");
    await expectError(await worker.fetch(request, brokerEnv()), 413, "payload_too_large");
  });

  it("answers 404 unknown_vendor for a vendor it does not know", async () => {
    await expectError(await mint("acme", uniqueUser()), 404, "unknown_vendor");
  });

  it("answers 404 vendor_not_configured when the vendor's secret is unset", async () => {
    const user = uniqueUser();
    const error = await expectError(
      await mint("speechmatics", user, { env: { SPEECHMATICS_API_KEY: undefined } }),
      404,
      "vendor_not_configured",
    );
    expect(error.message).toContain("speechmatics");
    expect(await receivedFor(user)).toHaveLength(0);
  });

  it("authenticates before revealing anything about vendors", async () => {
    await expectError(await call("/v1/keys/acme", { method: "POST" }), 401, "unauthenticated");
  });

  it("answers 500 misconfigured naming a bad base URL, never its value", async () => {
    const error = await expectError(
      await mint("soniox", uniqueUser(), { env: { SONIOX_BASE_URL: "ftp://secret-host.example" } }),
      500,
      "misconfigured",
    );
    expect(error.message).toContain("SONIOX_BASE_URL");
    expect(error.message).not.toContain("secret-host");
  });

  it("refuses a plain-http vendor base URL outside localhost", async () => {
    await expectError(
      await mint("soniox", uniqueUser(), { env: { SONIOX_BASE_URL: "http://api.soniox.com" } }),
      500,
      "misconfigured",
    );
  });
});

describe("routing", () => {
  it.each([
    ["GET", "/v1/keys/soniox", "POST"],
    ["PUT", "/v1/keys/soniox", "POST"],
    ["POST", "/healthz", "GET"],
    ["DELETE", "/v1/audit", "GET"],
    ["POST", "/v1/vendors", "GET"],
    ["PATCH", "/v1/audit/01ARZ3NDEKTSV4RRFFQ69G5FAV", "GET"],
  ])("answers %s %s with 405 and Allow: %s", async (method, path, allowed) => {
    const response = await call(path, { method });
    expect(response.headers.get("allow")).toBe(allowed);
    await expectError(response, 405, "method_not_allowed");
  });

  it.each(["/", "/v1", "/v1/keys", "/v1/keys/soniox/extra", "/admin"])(
    "answers %s with 404 not_found",
    async (path) => {
      await expectError(await call(path), 404, "not_found");
    },
  );

  it("audits the broker's own request id, keeping a caller's plain X-Request-Id beside it", async () => {
    const callerId = "trace-abc-123456";
    const { result: response, lines } = await captureLogs(() =>
      mint("soniox", uniqueUser(), { headers: { "X-Request-Id": callerId } }),
    );
    const { issuance_id } = (await response.json()) as { issuance_id: string };
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await auditRecord(issuance_id)).toMatchObject({ request_id: requestId, caller_request_id: callerId });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.msg === "request");
    expect(logged).toMatchObject({ request_id: requestId, caller_request_id: callerId });
  });

  it("drops an unsafe caller X-Request-Id", async () => {
    const response = await mint("soniox", uniqueUser(), { headers: { "X-Request-Id": "bad id\twith spaces" } });
    const { issuance_id } = (await response.json()) as { issuance_id: string };
    expect(await auditRecord(issuance_id)).toMatchObject({
      request_id: response.headers.get("x-request-id"),
      caller_request_id: null,
    });
  });

  it("marks every answer no-store", async () => {
    expect((await call("/healthz")).headers.get("cache-control")).toBe("no-store");
    expect((await call("/nope")).headers.get("cache-control")).toBe("no-store");
  });
});
