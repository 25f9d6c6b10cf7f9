import { describe, expect, it } from "vitest";
import { expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";

describe("POST /v1/keys/soniox", () => {
  it("mints with defaults and sends Soniox exactly the documented request", async () => {
    const user = uniqueUser("alice");
    const response = await mint("soniox", user);
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      vendor: "soniox",
      ttl_seconds: 300,
      client_ref: user,
      usage_type: "transcribe_websocket",
    });
    expect(body.key).toMatch(/^temp:[A-Z0-9]{26}$/);
    expect(body.issuance_id).toMatch(/^[0-9A-Z]{26}$/);

    const [request, ...more] = await receivedFor(user);
    expect(more).toHaveLength(0);
    expect(request).toMatchObject({
      vendor: "soniox",
      method: "POST",
      path: "/v1/auth/temporary-api-key",
      query: {},
    });
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.soniox}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({
      usage_type: "transcribe_websocket",
      expires_in_seconds: 300,
      client_reference_id: user,
    });
  });

  it("returns the expires_at Soniox gave, not one it computed", async () => {
    const before = Date.now();
    const response = await mint("soniox", uniqueUser(), { body: { ttl_seconds: 1234 } });
    const body = (await response.json()) as { expires_at: string };
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 1234_000);
    expect(expires).toBeLessThan(Date.now() + 1234_000 + 1000);
  });

  it("passes every option through and reports what was applied", async () => {
    const user = uniqueUser();
    const response = await mint("soniox", user, {
      body: { ttl_seconds: 60, usage_type: "tts_rt", single_use: true, max_session_duration_seconds: 18000 },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      ttl_seconds: 60,
      usage_type: "tts_rt",
      single_use: true,
      max_session_duration_seconds: 18000,
    });
    const [request] = await receivedFor(user);
    expect(request?.body).toEqual({
      usage_type: "tts_rt",
      single_use: true,
      max_session_duration_seconds: 18000,
      expires_in_seconds: 60,
      client_reference_id: user,
    });
  });

  it.each([1, 3600])("accepts ttl_seconds %i at the limit", async (ttl) => {
    const user = uniqueUser();
    const response = await mint("soniox", user, { body: { ttl_seconds: ttl } });
    expect(response.status).toBe(201);
    const [request] = await receivedFor(user);
    expect(request?.body).toMatchObject({ expires_in_seconds: ttl });
  });

  it.each([0, 3601, -5, 1.5, "300"])("refuses ttl_seconds %j without calling Soniox", async (ttl) => {
    const user = uniqueUser();
    const error = await expectError(await mint("soniox", user, { body: { ttl_seconds: ttl } }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) {
      expect(error.message).toContain("from 1 to 3600");
    }
    expect(await receivedFor(user)).toHaveLength(0);
  });

  it.each([1, 18000])("accepts max_session_duration_seconds %i", async (seconds) => {
    const response = await mint("soniox", uniqueUser(), { body: { max_session_duration_seconds: seconds } });
    expect(response.status).toBe(201);
  });

  it.each([0, 18001])("refuses max_session_duration_seconds %i", async (seconds) => {
    const error = await expectError(
      await mint("soniox", uniqueUser(), { body: { max_session_duration_seconds: seconds } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("max_session_duration_seconds");
  });

  it("refuses an unknown usage_type and names the allowed ones", async () => {
    const error = await expectError(
      await mint("soniox", uniqueUser(), { body: { usage_type: "batch" } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain('"transcribe_websocket", "tts_rt"');
  });

  it("refuses a non-boolean single_use", async () => {
    await expectError(await mint("soniox", uniqueUser(), { body: { single_use: "yes" } }), 400, "invalid_request");
  });

  it.each([
    ["client_ref", { client_ref: "mallory" }],
    ["client_reference_id", { client_reference_id: "mallory" }],
    ["type", { type: "rt" }],
    ["region", { region: "eu" }],
  ])("refuses the field %s, which Soniox requests do not take", async (field, body) => {
    const user = uniqueUser();
    const error = await expectError(await mint("soniox", user, { body }), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
    expect(await receivedFor(user)).toHaveLength(0);
  });
});
