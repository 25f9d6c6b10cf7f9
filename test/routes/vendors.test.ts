import { describe, expect, it } from "vitest";
import { call, expectError } from "../helpers/broker";
import { bearer } from "../helpers/tokens";

async function listVendors(env = {}) {
  const response = await call("/v1/vendors", { headers: await bearer("alice"), env });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors;
}

describe("GET /v1/vendors", () => {
  it("lists configured vendors with TTL ranges and options", async () => {
    const vendors = await listVendors();
    expect(vendors).toEqual([
      {
        id: "soniox",
        ttl_seconds: { min: 1, max: 3600, default: 300 },
        options: {
          usage_type: { type: "string", enum: ["transcribe_websocket", "tts_rt"], default: "transcribe_websocket" },
          single_use: { type: "boolean" },
          max_session_duration_seconds: { type: "integer", minimum: 1, maximum: 18000 },
        },
      },
      {
        id: "speechmatics",
        ttl_seconds: { min: 60, max: 3600, default: 300 },
        options: {
          type: { type: "string", enum: ["rt", "batch"], default: "rt" },
          region: { type: "string", enum: ["eu", "usa", "au"] },
        },
      },
      {
        id: "amivoice",
        ttl_seconds: { min: 10, max: 86400, default: 300 },
        options: { bind_ip: { type: "boolean", default: true } },
      },
      {
        id: "acedata",
        ttl_seconds: { min: 60, max: 86400, default: 3600 },
        options: { limited_amount: { type: "number", exclusiveMinimum: 0 } },
      },
    ]);
  });

  it("leaves out vendors whose secret is unset", async () => {
    const vendors = await listVendors({ SONIOX_API_KEY: undefined, ACEDATA_PLATFORM_TOKEN: undefined });
    expect(vendors.map((v) => v.id)).toEqual(["speechmatics", "amivoice"]);
    const none = await listVendors({
      SONIOX_API_KEY: "",
      SPEECHMATICS_API_KEY: undefined,
      AMIVOICE_ISSUER_KEY: undefined,
      ACEDATA_PLATFORM_TOKEN: undefined,
    });
    expect(none).toEqual([]);
  });

  it("leaves out a misconfigured vendor", async () => {
    const vendors = await listVendors({ SONIOX_BASE_URL: "not a url", AMIVOICE_SID: "sid" });
    expect(vendors.map((v) => v.id)).toEqual(["speechmatics", "acedata"]);
  });

  it("needs an end-user token", async () => {
    await expectError(await call("/v1/vendors"), 401, "unauthenticated");
  });
});
