import { describe, expect, it } from "vitest";
import { passesClaimGate } from "../../src/policy/claims";
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

describe("POLICY: require_claim with a claim path", () => {
  /** Mints Soniox under a gate on `claim`, with `claims` in the token. */
  function mintGated(claim: string, allowed: unknown[], claims: Record<string, unknown>) {
    const gate = { soniox: { require_claim: { claim, in: allowed } } };
    return mint("soniox", uniqueUser("path"), { token: { claims }, env: withPolicy(gate) });
  }

  const SIGN_IN = "firebase.sign_in_provider";
  const SIGNED_IN = ["password", "google.com"];

  it.each([
    ["password", { firebase: { sign_in_provider: "password" } }],
    ["google.com", { firebase: { identities: {}, sign_in_provider: "google.com" } }],
  ])("reaches a nested claim with dots: admits firebase.sign_in_provider %s", async (_, claims) => {
    expect((await mintGated(SIGN_IN, SIGNED_IN, claims)).status).toBe(201);
  });

  it.each([
    ["an anonymous sign-in", { firebase: { sign_in_provider: "anonymous" } }],
    ["no firebase claim", {}],
    ["the name with its dot as one top-level claim", { [SIGN_IN]: "password" }],
    ["firebase as a string", { firebase: "password" }],
    ["firebase as an array", { firebase: [{ sign_in_provider: "password" }] }],
  ])("refuses %s under a gate on firebase.sign_in_provider", async (_, claims) => {
    const error = await expectError(await mintGated(SIGN_IN, SIGNED_IN, claims), 403, "forbidden");
    expect(error.message).toContain(`"${SIGN_IN}"`);
  });

  it.each([
    ["[https://example.com/plan]", { "https://example.com/plan": "pro" }],
    ["[https://example.com/app].tier", { "https://example.com/app": { tier: "pro" } }],
    ["app_metadata.[org.plan]", { app_metadata: { "org.plan": "pro" } }],
    ["cognito:groups", { "cognito:groups": ["staff", "pro"] }],
  ])("takes a name in square brackets as it is: %s", async (claim, claims) => {
    expect((await mintGated(claim, ["pro"], claims)).status).toBe(201);
  });

  it("reads the bracketed name whole, not as a path", async () => {
    const nested = { "https://example": { "com/plan": "pro" } };
    await expectError(await mintGated("[https://example.com/plan]", ["pro"], nested), 403, "forbidden");
  });

  it.each([
    ["a string's own property", "plan.length", [3], { plan: "pro" }],
    ["an array's index", "roles.0", ["pro"], { roles: ["pro"] }],
    ["an inherited property", "plan.constructor.name", ["Object"], { plan: {} }],
  ])("never reaches %s", async (_, claim, allowed, claims) => {
    await expectError(await mintGated(claim, allowed, claims), 403, "forbidden");
  });

  it("never reaches an inherited property, even a plain value a prototype holds", () => {
    // No JSON payload has a prototype but Object's; the check still holds for any object given.
    const plan = Object.create({ tier: "pro" }) as Record<string, unknown>;
    expect(passesClaimGate({ claim: "plan.tier", in: ["pro"] }, { plan })).toBe(false);
    expect(passesClaimGate({ claim: "plan.tier", in: ["pro"] }, { plan: { tier: "pro" } })).toBe(true);
  });

  it("lists a vendor gated on a nested claim only to users who pass it", async () => {
    const gate = { soniox: { require_claim: { claim: SIGN_IN, in: SIGNED_IN } } };
    const listed = async (claims: Record<string, unknown>) => {
      const response = await call("/v1/vendors", { headers: await bearer("alice", { claims }), env: withPolicy(gate) });
      return ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
    };
    expect(await listed({ firebase: { sign_in_provider: "anonymous" } })).not.toContain("soniox");
    expect(await listed({ firebase: { sign_in_provider: "password" } })).toContain("soniox");
  });

  it.each([
    ["an unbracketed URL (an Auth0 namespaced claim)", "https://example.com/plan"],
    ["an empty name between dots", "firebase..sign_in_provider"],
    ["a leading dot", ".plan"],
    ["a trailing dot", "plan."],
    ["empty brackets", "[]"],
    ["an unclosed bracket", "[https://example.com/plan"],
    ["a bracket not after a dot", "app_metadata[plan]"],
    ["a space", "my plan"],
    ["nothing", ""],
  ])("refuses %s as a claim path with 500 misconfigured naming POLICY and the rule", async (_, claim) => {
    const gate = { soniox: { require_claim: { claim, in: [ALLOWED] } } };
    const user = uniqueUser("bad-path");
    const error = await expectError(await mint("soniox", user, { env: withPolicy(gate) }), 500, "misconfigured");
    expect(error.message).toContain("POLICY soniox.require_claim.claim must be a claim name");
    expect(error.message).toContain("square brackets");
    expect(error.message).not.toContain(ALLOWED);
    expect(await receivedFor(user)).toHaveLength(0);
  });
});
