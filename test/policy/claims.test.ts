import { describe, expect, it } from "vitest";
import { vendorIds } from "../../src/vendors/registry";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { withPolicy } from "./policy-env";

/** A claim value only the operator and the identity provider should know. */
const ALLOWED = "platinum-7f3a";
const OTHER = "bronze-91c2";

const policy = { soniox: { require_claim: { claim: "plan", in: [ALLOWED, "gold-5e1d"] } } };

async function mintWithClaims(claims: Record<string, unknown>, body: unknown = {}) {
  const user = uniqueUser("claims");
  const response = await mint("soniox", user, { body, token: { claims }, env: withPolicy(policy) });
  return { response, received: () => receivedFor(user) };
}

async function listedIds(claims: Record<string, unknown>): Promise<string[]> {
  const response = await call("/v1/vendors", { headers: await bearer("alice", { claims }), env: withPolicy(policy) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
}

describe("POLICY: require_claim", () => {
  it.each([
    ["lacks the claim", {}],
    ["has another value", { plan: OTHER }],
    ["has the value with another type", { plan: [7] }],
    ["has an object", { plan: { name: ALLOWED } }],
    ["has an array without an allowed value", { plan: [OTHER] }],
    ["has the value under another claim", { tier: ALLOWED }],
  ])("refuses a user whose token %s, naming the vendor and never a claim value", async (_, claims) => {
    const { response, received } = await mintWithClaims(claims);
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("soniox");
    expect(error.message).toContain('"plan"');
    for (const value of [ALLOWED, OTHER, "gold-5e1d"]) expect(error.message).not.toContain(value);
    expect(await received()).toHaveLength(0);
  });

  it.each([
    ["the allowed value", { plan: ALLOWED }],
    ["another allowed value", { plan: "gold-5e1d" }],
    ["an array holding an allowed value", { plan: [OTHER, ALLOWED] }],
  ])("admits a user whose token has %s", async (_, claims) => {
    const { response, received } = await mintWithClaims(claims);
    expect(response.status).toBe(201);
    expect(await received()).toHaveLength(1);
  });

  it("checks the claim before the body", async () => {
    const { response } = await mintWithClaims({}, { ttl_seconds: "nonsense" });
    await expectError(response, 403, "forbidden");
  });

  it("compares strictly: a number claim does not match its string form", async () => {
    const user = uniqueUser();
    const numeric = { soniox: { require_claim: { claim: "level", in: [3, true] } } };
    const asString = await mint("soniox", user, { token: { claims: { level: "3" } }, env: withPolicy(numeric) });
    await expectError(asString, 403, "forbidden");
    const asNumber = await mint("soniox", user, { token: { claims: { level: 3 } }, env: withPolicy(numeric) });
    expect(asNumber.status).toBe(201);
    const asBoolean = await mint("soniox", user, { token: { claims: { level: true } }, env: withPolicy(numeric) });
    expect(asBoolean.status).toBe(201);
  });

  it("lists a gated vendor only to users who pass the gate", async () => {
    expect(await listedIds({})).toEqual(vendorIds.filter((id) => id !== "soniox"));
    expect(await listedIds({ plan: OTHER })).toEqual(vendorIds.filter((id) => id !== "soniox"));
    expect(await listedIds({ plan: ALLOWED })).toEqual(vendorIds);
  });
});
