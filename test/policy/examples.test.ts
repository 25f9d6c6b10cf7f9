import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { type VendorId, vendorIds } from "../../src/vendors/registry";
import { brokerEnv, call, expectError, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer, type TokenOptions } from "../helpers/tokens";
import { FREE_TIER_POLICY, PRO_TIER_POLICY } from "./examples";
import { withPolicy } from "./policy-env";

/**
 * The README's example policies, evaluated by the real Worker for every vendor
 * in the registry, so that a vendor added later is checked against them too.
 */

/** The var naming the vendor's base URL, by the registry's convention; pointed at a tagged emulator URL. */
function baseUrlVar(vendor: VendorId): keyof Env {
  const name = `${vendor.toUpperCase()}_BASE_URL` as keyof Env;
  expect(brokerEnv(), `the test broker sets ${name}`).toHaveProperty(name);
  return name;
}

/** Mints under `policy` with the vendor on a URL of its own, and returns what the vendor received. */
async function mintUnder(policy: unknown, vendor: VendorId, token?: TokenOptions) {
  const upstream = taggedBaseUrl();
  const env = withPolicy(policy, { [baseUrlVar(vendor)]: upstream.baseUrl });
  const response = await mint(vendor, uniqueUser("example"), { env, token });
  return { response, received: upstream.received };
}

async function listedIds(policy: unknown, claims: Record<string, unknown> = {}): Promise<string[]> {
  const response = await call("/v1/vendors", { headers: await bearer("alice", { claims }), env: withPolicy(policy) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
}

const OTHERS = vendorIds.filter((id) => id !== "soniox");

describe("the free-tier example policy", () => {
  it.each(OTHERS)("refuses %s with 403 before calling it", async (vendor) => {
    const { response, received } = await mintUnder(FREE_TIER_POLICY, vendor);
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toBe(`${vendor} is disabled by policy on this broker`);
    expect(await received()).toHaveLength(0);
  });

  it("serves Soniox: single-use, one minute by default, two at most", async () => {
    const { response, received } = await mintUnder(FREE_TIER_POLICY, "soniox");
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ single_use: true, ttl_seconds: 60 });
    expect((await received())[0]?.body).toMatchObject({ single_use: true, expires_in_seconds: 60 });
  });

  it("lists Soniox alone", async () => {
    expect(await listedIds(FREE_TIER_POLICY)).toEqual(["soniox"]);
  });
});

describe("the pro-tier example policy", () => {
  it.each(vendorIds)("refuses %s to a user without the pro claim, before calling it", async (vendor) => {
    for (const claims of [{}, { plan: "free" }]) {
      const { response, received } = await mintUnder(PRO_TIER_POLICY, vendor, { claims });
      const error = await expectError(response, 403, "forbidden");
      expect(error.message).toContain(`${vendor} is not available to this user`);
      expect(await received()).toHaveLength(0);
    }
  });

  it.each(vendorIds)("serves %s, with its own defaults, to a pro user", async (vendor) => {
    const { response, received } = await mintUnder(PRO_TIER_POLICY, vendor, { claims: { plan: "pro" } });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(await received()).not.toHaveLength(0);
  });

  it("lists every vendor to a pro user and none to others", async () => {
    expect(await listedIds(PRO_TIER_POLICY, { plan: "pro" })).toEqual(vendorIds);
    expect(await listedIds(PRO_TIER_POLICY)).toEqual([]);
    expect(await listedIds(PRO_TIER_POLICY, { plan: "free" })).toEqual([]);
  });

  it("caps every vendor at 500 keys a day, unless its own entry sets another cap", async () => {
    const response = await call("/v1/me/usage", {
      headers: await bearer(uniqueUser("pro")),
      env: withPolicy(PRO_TIER_POLICY),
    });
    expect(response.status).toBe(200);
    const { vendors } = (await response.json()) as { vendors: Record<string, { quota: number | null }> };
    const named: Record<string, number> = { amivoice: 200, acedata: 50 };
    for (const id of vendorIds) expect(vendors[id]?.quota, id).toBe(named[id] ?? 500);
  });

  it("applies a named vendor's own rules on top: Speechmatics in the EU, 15 minutes by default", async () => {
    const { response, received } = await mintUnder(PRO_TIER_POLICY, "speechmatics", { claims: { plan: "pro" } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ region: "eu", ttl_seconds: 900 });
    expect((await received())[0]?.body).toMatchObject({ region: "eu", ttl: 900 });
  });
});
