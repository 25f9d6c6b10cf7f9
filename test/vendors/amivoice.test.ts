import { describe, expect, it } from "vitest";
import { amivoice } from "../../src/vendors/amivoice";
import { auditRecord } from "../helpers/audit";
import { expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { inject } from "vitest";

const account = inject("amivoiceAccount");
const SERVICE_MODE = { AMIVOICE_ISSUER_KEY: undefined, AMIVOICE_SID: account.sid, AMIVOICE_SPW: account.spw };
const IPV4_CALLER = { "CF-Connecting-IP": "198.51.100.23" };
const IPV6_CALLER = { "CF-Connecting-IP": "2001:db8::1" };

describe("POST /v1/keys/amivoice", () => {
  it("binds the key to an IPv4 caller and sends the documented form", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const user = uniqueUser();
    const before = Date.now();
    const response = await mint("amivoice", user, { headers: IPV4_CALLER, env: { AMIVOICE_BASE_URL: baseUrl } });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      vendor: "amivoice",
      ttl_seconds: 300,
      client_ref: user,
      bind_ip: true,
      ip_bound: true,
    });
    expect(body.key).toMatch(/^[A-Z0-9]{40}$/);
    expect(Date.parse(body.expires_at as string)).toBeGreaterThanOrEqual(before + 300_000);
    expect(Date.parse(body.expires_at as string)).toBeLessThanOrEqual(Date.now() + 300_000);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request).toMatchObject({
      vendor: "amivoice",
      method: "POST",
      path: `/t/${request?.tag}/issue_service_authorization`,
    });
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.amivoice}`);
    expect(request?.body).toEqual({ epi: "300000", ipa: "198.51.100.23" });
  });

  it("mints without ipa for an IPv6 caller and reports ip_bound false in the answer and the audit", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("amivoice", uniqueUser(), {
      headers: IPV6_CALLER,
      env: { AMIVOICE_BASE_URL: baseUrl },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string | boolean>;
    expect(body).toMatchObject({ bind_ip: true, ip_bound: false });
    const [request] = await received();
    expect(request?.body).toEqual({ epi: "300000" });
    expect(await auditRecord(body.issuance_id as string)).toMatchObject({
      options: { bind_ip: true, ip_bound: false },
      ip: "2001:db8::1",
    });
  });

  it("refuses an IPv6 caller with 403 when AMIVOICE_REQUIRE_IP_BINDING is true, without calling AmiVoice", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("amivoice", uniqueUser(), {
      headers: IPV6_CALLER,
      env: { AMIVOICE_BASE_URL: baseUrl, AMIVOICE_REQUIRE_IP_BINDING: "true" },
    });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("IPv4");
    expect(await received()).toHaveLength(0);
  });

  it("still binds IPv4 callers when binding is required", async () => {
    const response = await mint("amivoice", uniqueUser(), {
      headers: IPV4_CALLER,
      env: { AMIVOICE_REQUIRE_IP_BINDING: "true" },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ip_bound: true });
  });

  it("does not bind when bind_ip is false, unless binding is required", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const env = { AMIVOICE_BASE_URL: baseUrl };
    const response = await mint("amivoice", uniqueUser(), { headers: IPV4_CALLER, body: { bind_ip: false }, env });
    expect(await response.json()).toMatchObject({ bind_ip: false, ip_bound: false });
    const [request] = await received();
    expect(request?.body).toEqual({ epi: "300000" });

    const refused = await mint("amivoice", uniqueUser(), {
      headers: IPV4_CALLER,
      body: { bind_ip: false },
      env: { ...env, AMIVOICE_REQUIRE_IP_BINDING: "true" },
    });
    await expectError(refused, 403, "forbidden");
  });

  it("never takes the address from X-Forwarded-For and never sends an empty ipa", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("amivoice", uniqueUser(), {
      headers: { "X-Forwarded-For": "192.0.2.99" },
      env: { AMIVOICE_BASE_URL: baseUrl },
    });
    expect(await response.json()).toMatchObject({ ip_bound: false });
    const [request] = await received();
    expect(request?.body).toEqual({ epi: "300000" });
  });

  it("uses sid and spw form fields, and no Authorization header, in service mode", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("amivoice", uniqueUser(), {
      headers: IPV4_CALLER,
      body: { ttl_seconds: 10 },
      env: { ...SERVICE_MODE, AMIVOICE_BASE_URL: baseUrl },
    });
    expect(response.status).toBe(201);
    const [request] = await received();
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({ epi: "10000", ipa: "198.51.100.23", sid: account.sid, spw: account.spw });
  });

  it.each([10, 86400])("accepts ttl_seconds %i and sends epi in milliseconds", async (ttl) => {
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("amivoice", uniqueUser(), {
      body: { ttl_seconds: ttl },
      env: { AMIVOICE_BASE_URL: baseUrl },
    });
    expect(response.status).toBe(201);
    const [request] = await received();
    expect(request?.body).toMatchObject({ epi: String(ttl * 1000) });
  });

  it.each([9, 86401])("refuses ttl_seconds %i and names the range", async (ttl) => {
    const error = await expectError(
      await mint("amivoice", uniqueUser(), { body: { ttl_seconds: ttl } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("from 10 to 86400 for amivoice");
  });

  it.each([
    ["ipa", { ipa: "10.0.0.1" }],
    ["bind_ip as a string", { bind_ip: "yes" }],
    ["client_ref", { client_ref: "mallory" }],
    ["sid", { sid: "x" }],
  ])("refuses %s in the body", async (_case, body) => {
    await expectError(await mint("amivoice", uniqueUser(), { body }), 400, "invalid_request");
  });

  it.each([
    ["both credential modes", { AMIVOICE_SID: "sid", AMIVOICE_SPW: "spw" }, "AMIVOICE_ISSUER_KEY"],
    ["a SID without its password", { AMIVOICE_ISSUER_KEY: undefined, AMIVOICE_SID: "sid" }, "AMIVOICE_SPW"],
    ["a password without its SID", { AMIVOICE_ISSUER_KEY: undefined, AMIVOICE_SPW: "spw" }, "AMIVOICE_SID"],
    ["a REQUIRE flag that is not a boolean", { AMIVOICE_REQUIRE_IP_BINDING: "yes" }, "AMIVOICE_REQUIRE_IP_BINDING"],
  ])("answers 500 misconfigured for %s, naming the variables and not their values", async (_case, env, names) => {
    const error = await expectError(await mint("amivoice", uniqueUser(), { env }), 500, "misconfigured");
    expect(error.message).toContain(names);
    expect(error.message).not.toMatch(/\bsid\b|\bspw\b|issuable-key/);
  });

  it("is disabled when no credential is set", async () => {
    await expectError(
      await mint("amivoice", uniqueUser(), { env: { AMIVOICE_ISSUER_KEY: undefined } }),
      404,
      "vendor_not_configured",
    );
  });

  it.each([
    ["a wrong issuer key", masterKeys.amivoice + "-wrong", "Invalid appkey"],
    ["a key without the Issuable setting", account.notIssuableKey, "Dont issue appkey"],
  ])("maps %s to 502 upstream_auth_failed naming the reason", async (_case, key, reason) => {
    const error = await expectError(
      await mint("amivoice", uniqueUser(), { env: { AMIVOICE_ISSUER_KEY: key } }),
      502,
      "upstream_auth_failed",
    );
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain(key as string);
  });

  it("maps an empty key body to 502 upstream_error", async () => {
    const { baseUrl } = taggedBaseUrl("malformed");
    await expectError(
      await mint("amivoice", uniqueUser(), { env: { AMIVOICE_BASE_URL: baseUrl } }),
      502,
      "upstream_error",
    );
  });

  it("records the issuance without the key", async () => {
    const response = await mint("amivoice", uniqueUser(), { headers: IPV4_CALLER });
    const body = (await response.json()) as { key: string; issuance_id: string };
    const record = await auditRecord(body.issuance_id);
    expect(record).toMatchObject({ vendor: "amivoice", outcome: "issued", upstream_status: 200, ip: "198.51.100.23" });
    expect(JSON.stringify(record)).not.toContain(body.key);
  });
});

describe("AmiVoice failure reading", () => {
  it.each([
    ["Invalid Authorization Header", "Invalid Authorization Header"],
    ["Invalid appkey", "AMIVOICE_ISSUER_KEY is not a valid API key"],
    ["Dont issue appkey", 'lacks the "Issuable" setting'],
  ])("treats the documented 400 %j as a credential failure and names it", (body, message) => {
    const reading = amivoice.readFailure(400, `${body}\n`);
    expect(reading.credentialsRejected).toBe(true);
    expect(reading.message).toContain(message);
    expect(reading.message).toContain(body);
  });

  it("passes any other short plain-text 400 on as the vendor's message", () => {
    expect(amivoice.readFailure(400, "Invalid ipa")).toEqual({ message: "Invalid ipa" });
    expect(amivoice.readFailure(400, "<html>oops</html>")).toEqual({});
  });
});
