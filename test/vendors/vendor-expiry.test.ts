import { describe, expect, it } from "vitest";
import { captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { outlivesTtl } from "../../src/vendors/expiry";
import { mint } from "../helpers/mint";
import { expectWithheldCredential } from "../helpers/withheld";

const FAR = "2099-01-01T00:00:00.000Z";

/** Vendors whose answer carries their own expiry (a time or a lifetime), which the broker must not trust. */
const CASES = [
  { vendor: "soniox", baseUrlVar: "SONIOX_BASE_URL", fault: "expiry-far", status: 201, vendorExpiry: FAR },
  { vendor: "acedata", baseUrlVar: "ACEDATA_BASE_URL", fault: "expiry-far", status: 201, vendorExpiry: FAR },
  { vendor: "acedata", baseUrlVar: "ACEDATA_BASE_URL", fault: "expiry-never", status: 201, vendorExpiry: null },
  { vendor: "openai", baseUrlVar: "OPENAI_BASE_URL", fault: "expiry-far", status: 200, vendorExpiry: FAR },
  // A lifetime of ten years, counted from the broker's clock.
  {
    vendor: "deepgram",
    baseUrlVar: "DEEPGRAM_BASE_URL",
    fault: "expiry-far",
    status: 200,
    vendorExpiry: "in ten years",
  },
  {
    vendor: "assemblyai",
    baseUrlVar: "ASSEMBLYAI_BASE_URL",
    fault: "expiry-far",
    status: 200,
    vendorExpiry: "in ten years",
  },
];

describe.each(CASES)("$vendor answering $fault", ({ vendor, baseUrlVar, fault, status, vendorExpiry }) => {
  it("refuses the key with 502 vendor_credential_refused, and records and logs what is needed to revoke it", async () => {
    const user = uniqueUser();
    const { result: response, lines } = await captureLogs(() =>
      mint(vendor, user, { body: { ttl_seconds: 60 }, env: { [baseUrlVar]: faultUrl(fault) } }),
    );
    const text = await response.clone().text();
    const error = await expectError(response, 502, "vendor_credential_refused");
    expect(error.message).toContain("outlive");
    expect(text).not.toMatch(/"key"/);

    const record = await expectWithheldCredential(vendor, user, lines);
    expect(record?.upstream_status).toBe(status);
    if (vendorExpiry === "in ten years") {
      expect(Date.parse(String(record?.expires_at)) - Date.now()).toBeGreaterThan(9 * 365 * 86_400_000);
    } else expect(record?.expires_at).toBe(vendorExpiry);
  });
});

describe("a vendor expiry within the TTL", () => {
  it("is returned as the vendor gave it", async () => {
    const response = await mint("soniox", uniqueUser(), { body: { ttl_seconds: 60 } });
    expect(response.status).toBe(201);
    const { expires_at } = (await response.json()) as { expires_at: string };
    expect(Date.parse(expires_at)).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe("outlivesTtl", () => {
  const now = new Date("2026-11-23T10:00:00.000Z");
  const after = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it.each([
    { expiry: after(60), outlives: false },
    { expiry: after(60 + 60), outlives: false },
    { expiry: after(60 + 61), outlives: true },
    { expiry: after(-5), outlives: false },
    { expiry: null, outlives: true },
    { expiry: new Date(Number.NaN), outlives: true },
  ])("ttl 60 s, vendor expiry $expiry: outlives is $outlives", ({ expiry, outlives }) => {
    expect(outlivesTtl(expiry, now, 60)).toBe(outlives);
  });
});
