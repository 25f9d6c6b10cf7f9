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
    ]);
  });

  it("leaves out vendors whose secret is unset", async () => {
    const vendors = await listVendors({ SONIOX_API_KEY: undefined });
    expect(vendors.map((v) => v.id)).toEqual(["speechmatics"]);
    expect(await listVendors({ SONIOX_API_KEY: "", SPEECHMATICS_API_KEY: undefined })).toEqual([]);
  });

  it("leaves out a misconfigured vendor", async () => {
    const vendors = await listVendors({ SONIOX_BASE_URL: "not a url" });
    expect(vendors.map((v) => v.id)).toEqual(["speechmatics"]);
  });

  it("needs an end-user token", async () => {
    await expectError(await call("/v1/vendors"), 401, "unauthenticated");
  });
});
