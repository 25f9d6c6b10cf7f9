import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { ADMIN_TOKEN, call, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const NO_AUDIT: Partial<Env> = { AUDIT: undefined };

/** Each vendor's base URL variable, so a test can see whether that vendor was called at all. */
const BASE_URL_VARS = {
  soniox: "SONIOX_BASE_URL",
  speechmatics: "SPEECHMATICS_BASE_URL",
  amivoice: "AMIVOICE_BASE_URL",
  acedata: "ACEDATA_BASE_URL",
} as const;

describe("AUDIT binding", () => {
  it.each(Object.entries(BASE_URL_VARS))(
    "refuses a %s mint with 500 misconfigured naming AUDIT, before calling the vendor",
    async (vendor, baseUrlVar) => {
      const user = uniqueUser("no-audit");
      const upstream = taggedBaseUrl();
      const response = await mint(vendor, user, { env: { ...NO_AUDIT, [baseUrlVar]: upstream.baseUrl } });

      const error = await expectError(response, 500, "misconfigured");
      expect(error.message).toContain("AUDIT");
      expect(await upstream.received()).toEqual([]);
      expect(await receivedFor(user)).toEqual([]);
    },
  );

  it.each([
    ["a plain var", "audit"],
    ["an R2 bucket", { get: async () => null, put: async () => null, list: async () => ({}), head: async () => null }],
  ])("refuses a binding that is %s rather than a KV namespace", async (_, binding) => {
    const upstream = taggedBaseUrl();
    const notKv = binding as unknown as KVNamespace;
    const response = await mint("soniox", uniqueUser(), { env: { AUDIT: notKv, SONIOX_BASE_URL: upstream.baseUrl } });

    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("AUDIT");
    expect(await upstream.received()).toEqual([]);
  });

  it("authenticates the caller before reporting the missing binding", async () => {
    const response = await call("/v1/keys/soniox", { method: "POST", env: NO_AUDIT });
    await expectError(response, 401, "unauthenticated");
  });

  it("answers 500 misconfigured naming AUDIT on both audit routes", async () => {
    for (const path of ["/v1/audit", "/v1/audit?client_ref=alice", "/v1/audit/01KJQGWFM8Q7T2V1D9X4ZB6N3C"]) {
      const error = await expectError(await call(path, { headers: admin, env: NO_AUDIT }), 500, "misconfigured");
      expect(error.message).toContain("AUDIT");
    }
  });

  it("checks the binding before looking at the issuance id", async () => {
    const response = await call("/v1/audit/not-an-id", { headers: admin, env: NO_AUDIT });
    await expectError(response, 500, "misconfigured");
  });

  it("leaves routes that do not use the audit trail working, while /healthz reports it", async () => {
    expect((await call("/healthz", { env: NO_AUDIT })).status).toBe(503);
    expect((await call("/v1/vendors", { headers: await bearer(uniqueUser()), env: NO_AUDIT })).status).toBe(200);
  });
});
