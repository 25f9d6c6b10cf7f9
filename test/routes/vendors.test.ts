import { describe, expect, it } from "vitest";
import { vendorIds } from "../../src/vendors/registry";
import * as z from "zod/mini";
import { vendorListSchema } from "../../src/openapi/schemas";
import { call, expectError } from "../helpers/broker";
import { bearer } from "../helpers/tokens";
import { withPolicy } from "../policy/policy-env";

/** The four vendors these tests were written for; the others are listed in their own tests. */
const FIRST_FOUR_ONLY = {
  OPENAI_API_KEY: undefined,
  DEEPGRAM_API_KEY: undefined,
  ASSEMBLYAI_API_KEY: undefined,
  ELEVENLABS_API_KEY: undefined,
  GEMINI_API_KEY: undefined,
  AZURE_SPEECH_KEY: undefined,
  CARTESIA_API_KEY: undefined,
  GLADIA_API_KEY: undefined,
  XAI_API_KEY: undefined,
  MISTRAL_API_KEY: undefined,
  TWILIO_API_KEY_SECRET: undefined,
  LIVEKIT_API_KEY: undefined,
  LIVEKIT_API_SECRET: undefined,
  AWS_ACCESS_KEY_ID: undefined,
};

async function listVendors(env = {}) {
  const response = await call("/v1/vendors", { headers: await bearer("alice"), env: { ...FIRST_FOUR_ONLY, ...env } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors;
}

describe("GET /v1/vendors", () => {
  it("lists configured vendors with TTL ranges and options", async () => {
    const vendors = await listVendors();
    expect(vendors).toEqual([
      {
        id: "soniox",
        credential: expect.any(String),
        connect: expect.any(Object),
        ttl_seconds: { min: 1, max: 3600, default: 300 },
        options: {
          usage_type: { type: "string", enum: ["transcribe_websocket", "tts_rt"], default: "transcribe_websocket" },
          single_use: { type: "boolean" },
          max_session_duration_seconds: { type: "integer", minimum: 1, maximum: 18000 },
        },
      },
      {
        id: "speechmatics",
        credential: expect.any(String),
        connect: expect.any(Object),
        ttl_seconds: { min: 60, max: 3600, default: 300 },
        options: {
          type: { type: "string", enum: ["rt", "batch"], default: "rt" },
          region: { type: "string", enum: ["eu", "usa", "au"] },
        },
      },
      {
        id: "amivoice",
        credential: expect.any(String),
        connect: expect.any(Object),
        ttl_seconds: { min: 10, max: 86400, default: 300 },
        options: { bind_ip: { type: "boolean", default: true } },
      },
      {
        id: "acedata",
        credential: expect.any(String),
        connect: expect.any(Object),
        ttl_seconds: { min: 60, max: 86400, default: 3600 },
        options: { limited_amount: { type: "number", exclusiveMinimum: 0 } },
      },
    ]);
  });

  it("lists every configured vendor in registry order", async () => {
    const response = await call("/v1/vendors", { headers: await bearer("alice") });
    const { vendors } = (await response.json()) as { vendors: { id: string; ttl_seconds: unknown }[] };
    expect(vendors.map((v) => v.id)).toEqual(vendorIds);
    // A fixed-life vendor shows one value for all three.
    expect(vendors.find((v) => v.id === "elevenlabs")?.ttl_seconds).toEqual({ min: 900, max: 900, default: 900 });
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

  it("shows the effective policy: narrowed TTL ranges, forced, allowed and ranged options", async () => {
    const vendors = await listVendors(
      withPolicy({
        soniox: {
          ttl_seconds: { min: 10, max: 120, default: 60 },
          options: {
            single_use: { force: true },
            usage_type: { in: ["tts_rt"] },
            max_session_duration_seconds: { max: 600 },
          },
        },
        speechmatics: { options: { type: { in: ["rt"] }, region: { force: "eu" } } },
        amivoice: { enabled: false },
        acedata: { ttl_seconds: { max: 600, default: 600 }, options: { limited_amount: { max: 5 } } },
      }),
    );
    expect(z.safeParse(vendorListSchema, { vendors }).success).toBe(true);
    expect(vendors).toEqual([
      {
        id: "soniox",
        credential: expect.any(String),
        // The connect of a key a body without options gets: tts_rt, the one usage_type allowed.
        connect: expect.objectContaining({ endpoint: expect.stringMatching(/\/tts-websocket$/) }),
        ttl_seconds: { min: 10, max: 120, default: 60 },
        options: {
          // The field's default is not allowed, so it is no longer advertised.
          usage_type: { type: "string", enum: ["tts_rt"] },
          single_use: { type: "boolean", const: true, default: true },
          max_session_duration_seconds: { type: "integer", minimum: 1, maximum: 600 },
        },
      },
      {
        id: "speechmatics",
        credential: expect.any(String),
        connect: expect.objectContaining({ credential: { in: "query", name: "jwt" } }),
        ttl_seconds: { min: 60, max: 3600, default: 300 },
        options: {
          type: { type: "string", enum: ["rt"], default: "rt" },
          region: { type: "string", const: "eu", default: "eu" },
        },
      },
      {
        id: "acedata",
        credential: expect.any(String),
        connect: expect.any(Object),
        ttl_seconds: { min: 60, max: 600, default: 600 },
        options: { limited_amount: { type: "number", exclusiveMinimum: 0, maximum: 5 } },
      },
    ]);
  });

  it("answers 500 misconfigured naming POLICY when POLICY is malformed", async () => {
    const response = await call("/v1/vendors", { headers: await bearer("alice"), env: withPolicy("{not json") });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("POLICY");
  });

  it("needs an end-user token", async () => {
    await expectError(await call("/v1/vendors"), 401, "unauthenticated");
  });
});
