import { describe, expect, it } from "vitest";
import { acedata } from "../../src/vendors/acedata";
import { auditRecord } from "../helpers/audit";
import {
  ACEDATA_APPLICATION_ID,
  captureLogs,
  expectError,
  kvWithFailingWrites,
  masterKeys,
  uniqueUser,
} from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { expectRefusedWithoutVendorCall, taggedMint } from "../helpers/vendor-tests";

const mintTagged = taggedMint("acedata", "ACEDATA_BASE_URL");

describe("POST /v1/keys/acedata", () => {
  it("creates a credential that always expires, and sends exactly the documented request", async () => {
    const before = Date.now();
    const { response, received } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ vendor: "acedata", ttl_seconds: 3600 });
    expect(body.key).toMatch(/^sk-[A-Z0-9]{40}$/);
    expect(body).not.toHaveProperty("limited_amount");

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.path).toMatch(/\/api\/v1\/credentials\/$/);
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.acedata}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.accept).toBe("application/json");
    const sent = request?.body as Record<string, unknown>;
    expect(Object.keys(sent).sort()).toEqual(["application_id", "expired_at"]);
    expect(sent.application_id).toBe(ACEDATA_APPLICATION_ID);
    const expiredAt = Date.parse(sent.expired_at as string);
    expect(expiredAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiredAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(body.expires_at).toBe(sent.expired_at);
  });

  it.each([60, 86400])("accepts ttl_seconds %i", async (ttl) => {
    const { response } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: ttl });
  });

  it.each([59, 86401])("refuses ttl_seconds %i and names the range", async (ttl) => {
    const error = await expectError((await mintTagged({ ttl_seconds: ttl })).response, 400, "invalid_request");
    expect(error.message).toContain("from 60 to 86400 for acedata");
  });

  it("sends the requested limited_amount when no cap is set", async () => {
    const { response, received } = await mintTagged({ limited_amount: 2.5 });
    expect(await response.json()).toMatchObject({ limited_amount: 2.5 });
    expect((await received())[0]?.body).toMatchObject({ limited_amount: 2.5 });
  });

  it("defaults limited_amount to ACEDATA_MAX_AMOUNT", async () => {
    const { response, received } = await mintTagged({}, { ACEDATA_MAX_AMOUNT: "10" });
    expect(await response.json()).toMatchObject({ limited_amount: 10 });
    expect((await received())[0]?.body).toMatchObject({ limited_amount: 10 });
  });

  it("accepts an amount at the cap and refuses one above it", async () => {
    expect((await mintTagged({ limited_amount: 10 }, { ACEDATA_MAX_AMOUNT: "10" })).response.status).toBe(201);
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ limited_amount: 10.01 }, { ACEDATA_MAX_AMOUNT: "10" }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("limited_amount must be at most 10");
  });

  it.each([0, -1, "5", null])("refuses limited_amount %j", async (amount) => {
    await expectError((await mintTagged({ limited_amount: amount })).response, 400, "invalid_request");
  });

  it("always sends ACEDATA_HOST as host, and end users cannot choose it", async () => {
    const { response, received } = await mintTagged({}, { ACEDATA_HOST: "app.example.com" });
    expect(await response.json()).toMatchObject({ host: "app.example.com" });
    expect((await received())[0]?.body).toMatchObject({ host: "app.example.com" });
    const error = await expectError((await mintTagged({ host: "evil.example" })).response, 400, "invalid_request");
    expect(error.message).toContain("unknown field host");
  });

  it.each([
    ["an application id that is not a UUID", { ACEDATA_APPLICATION_ID: "my-app" }, "ACEDATA_APPLICATION_ID"],
    ["no application id", { ACEDATA_APPLICATION_ID: undefined }, "ACEDATA_APPLICATION_ID"],
    ["a cap that is not a positive number", { ACEDATA_MAX_AMOUNT: "-3" }, "ACEDATA_MAX_AMOUNT"],
    ["a host that is not a domain", { ACEDATA_HOST: "https://app.example.com/" }, "ACEDATA_HOST"],
  ])("answers 500 misconfigured for %s", async (_case, env, name) => {
    const error = await expectError((await mintTagged({}, env)).response, 500, "misconfigured");
    expect(error.message).toContain(name);
    expect(error.message).not.toContain("my-app");
  });

  it("maps a wrong platform token to 502 upstream_auth_failed, without reading the vendor's 401 body", async () => {
    const error = await expectError(
      (await mintTagged({}, { ACEDATA_PLATFORM_TOKEN: "wrong-token" })).response,
      502,
      "upstream_auth_failed",
    );
    expect(error.message).not.toContain("Invalid token.");
    expect(error.message).toContain("operator");
  });

  it("maps a success without a string token to 502 upstream_error", async () => {
    const { baseUrl } = taggedBaseUrl("malformed");
    await expectError(
      await mint("acedata", uniqueUser(), { env: { ACEDATA_BASE_URL: baseUrl } }),
      502,
      "upstream_error",
    );
  });

  it("records the credential id as vendor_key_id, without the key", async () => {
    const { response } = await mintTagged({}, { ACEDATA_MAX_AMOUNT: "5" });
    const body = (await response.json()) as { key: string; issuance_id: string };
    const record = await auditRecord(body.issuance_id);
    expect(record).toMatchObject({ vendor: "acedata", outcome: "issued", options: { limited_amount: 5 } });
    expect(record.vendor_key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(record)).not.toContain(body.key);
  });
});

describe("an AceData credential that could not be audited", () => {
  it("is not handed out, and the error log names its id and fingerprint so it can be revoked", async () => {
    const { result: response, lines } = await captureLogs(() =>
      mintTagged({}, { AUDIT: kvWithFailingWrites() }).then((r) => r.response),
    );
    await expectError(response, 503, "audit_unavailable");
    const orphan = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg !== "request" && line.level === "error");
    expect(orphan).toMatchObject({ vendor: "acedata", request_id: response.headers.get("x-request-id") });
    expect(orphan?.vendor_key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(orphan?.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(String(orphan?.msg)).toContain("revoke");
  });
});

describe("AceData adapter", () => {
  const settings = {
    platformToken: "token",
    applicationId: ACEDATA_APPLICATION_ID,
    baseUrl: "https://platform.acedata.cloud",
    maxAmount: undefined,
    host: undefined,
  };
  const mintWith = (reply: unknown) =>
    acedata.mint({
      settings,
      options: {},
      ttlSeconds: 600,
      clientRef: "alice",
      callerIp: undefined,
      now: new Date("2026-11-22T10:00:00Z"),
      send: async () => ({ status: 201, text: JSON.stringify(reply) }),
    });

  it("takes expires_at from the vendor's expired_at when it gives one", async () => {
    const minted = await mintWith({ id: "c1", token: "sk-1", expired_at: "2026-11-22T10:09:30Z" });
    expect(minted.expiresAt?.toISOString()).toBe("2026-11-22T10:09:30.000Z");
    expect(minted.vendorKeyId).toBe("c1");
  });

  it.each([{ expired_at: null }, {}])(
    "reports a credential that never expires when the vendor answers %j, instead of assuming the TTL",
    async (expiry) => {
      const minted = await mintWith({ id: "c1", token: "sk-1", ...expiry });
      expect(minted.expiresAt).toBeNull();
    },
  );

  it.each([{ id: "c1" }, { id: "c1", token: 42 }, { id: "c1", token: "" }])(
    "refuses %j, which has no string token",
    async (reply) => {
      await expect(mintWith(reply)).rejects.toMatchObject({ code: "upstream_error" });
    },
  );
});
