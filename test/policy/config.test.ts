import { describe, expect, it } from "vitest";
import { ConfigProblem } from "../../src/errors";
import { parsePolicy } from "../../src/policy/schema";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { FREE_TIER_POLICY, PRO_TIER_POLICY } from "./examples";
import { withPolicy } from "./policy-env";

/** A value an operator may not want echoed (claim values can name customers or plans). */
const PRIVATE = "acme-private-plan-4d2c";

/** Malformed policies, each with what the error must say. */
const MALFORMED: [string, unknown, string][] = [
  // V8's parser message would quote this text.
  ["text that is not JSON", `plan: ${PRIVATE}`, "POLICY is not valid JSON"],
  ["truncated JSON", `{"soniox": {"enabled": false}`, "POLICY is not valid JSON"],
  ["a JSON array", [{ soniox: {} }], "POLICY must be one JSON object keyed by vendor id"],
  ["a JSON string", JSON.stringify(PRIVATE), "POLICY must be one JSON object keyed by vendor id"],
  ["an unknown vendor", { sonix: { enabled: false } }, 'POLICY names an unknown vendor "sonix"'],
  ["an unknown rule", { soniox: { enable: false } }, "POLICY soniox: unknown key enable"],
  ["a TTL max wider than the vendor's", { soniox: { ttl_seconds: { max: 7200 } } }, "soniox.ttl_seconds.max"],
  ["a TTL min wider than the vendor's", { speechmatics: { ttl_seconds: { min: 30 } } }, "speechmatics.ttl_seconds.min"],
  ["a TTL min above its max", { soniox: { ttl_seconds: { min: 100, max: 50, default: 60 } } }, "min is greater"],
  ["a vendor default outside the narrowed TTL", { soniox: { ttl_seconds: { max: 120 } } }, "soniox's own default 300"],
  [
    "a TTL that is not an integer",
    { soniox: { ttl_seconds: { max: 90.5 } } },
    "soniox.ttl_seconds.max must be an integer",
  ],
  ["an option the vendor does not have", { soniox: { options: { region: { force: "eu" } } } }, 'no option "region"'],
  [
    "a forced value invalid for the field",
    { soniox: { options: { usage_type: { force: PRIVATE } } } },
    "usage_type.force",
  ],
  ["a forced value of the wrong type", { soniox: { options: { single_use: { force: "yes" } } } }, "single_use.force"],
  [
    "an allowed value invalid for the field",
    { soniox: { options: { usage_type: { in: ["tts_rt", PRIVATE] } } } },
    "in entry 2",
  ],
  ["an empty allowed set", { soniox: { options: { usage_type: { in: [] } } } }, "usage_type.in must not be empty"],
  ["min/max on a non-numeric option", { soniox: { options: { single_use: { max: 1 } } } }, "only to numeric options"],
  [
    "a numeric max wider than the vendor's",
    { soniox: { options: { max_session_duration_seconds: { max: 20000 } } } },
    "max_session_duration_seconds.max",
  ],
  [
    "a numeric bound that is not a valid value",
    { soniox: { options: { max_session_duration_seconds: { max: 60.5 } } } },
    "max_session_duration_seconds.max",
  ],
  [
    "a numeric min wider than an exclusive vendor bound",
    { acedata: { options: { limited_amount: { min: 0 } } } },
    "limited_amount.min",
  ],
  [
    "two kinds of rule on one option",
    { soniox: { options: { single_use: { force: true, in: [true] } } } },
    "exactly one of force, in, or min/max",
  ],
  ["an option rule with none", { soniox: { options: { single_use: {} } } }, "exactly one of force, in, or min/max"],
  ["a daily_quota of 0", { soniox: { daily_quota: 0 } }, "soniox.daily_quota must be greater than 0"],
  ["a fractional daily_quota", { soniox: { daily_quota: 1.5 } }, "soniox.daily_quota must be an integer"],
  ["a claim gate with no allowed values", { soniox: { require_claim: { claim: "plan", in: [] } } }, "require_claim.in"],
  [
    "a claim gate with an object value",
    { soniox: { require_claim: { claim: "plan", in: [{ p: PRIVATE }] } } },
    "require_claim.in.0",
  ],
  ["a claim gate without a claim name", { soniox: { require_claim: { in: [PRIVATE] } } }, "require_claim.claim"],
];

describe("a malformed POLICY", () => {
  it.each(MALFORMED)("with %s breaks every mint with 500 misconfigured naming POLICY", async (_, policy, says) => {
    // Soniox and AmiVoice: a vendor the policy names and one it does not; none is called.
    for (const vendor of ["soniox", "amivoice"]) {
      const user = uniqueUser("bad-policy");
      const error = await expectError(await mint(vendor, user, { env: withPolicy(policy) }), 500, "misconfigured");
      expect(error.message).toContain("POLICY");
      expect(error.message).toContain(says);
      expect(error.message).not.toContain(PRIVATE);
      expect(await receivedFor(user)).toHaveLength(0);
    }
  });

  it.each(MALFORMED)("with %s breaks GET /v1/vendors with 500 misconfigured naming POLICY", async (_, policy, says) => {
    const response = await call("/v1/vendors", { headers: await bearer("alice"), env: withPolicy(policy) });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain(says);
    expect(error.message).not.toContain(PRIVATE);
  });

  it("never quotes POLICY text that is not JSON (the JSON parser's own message would)", async () => {
    const error = await expectError(
      await mint("soniox", uniqueUser(), { env: withPolicy("hunter2") }),
      500,
      "misconfigured",
    );
    expect(error.message).toBe("POLICY is not valid JSON: it must be one JSON object keyed by vendor id");
  });

  it("is reported as a config problem of the POLICY variable", () => {
    const error = (() => {
      try {
        parsePolicy("not json");
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigProblem);
    expect((error as ConfigProblem).variable).toBe("POLICY");
  });
});

describe("a valid POLICY", () => {
  it.each([
    ["unset", undefined],
    ["blank", "  "],
    ["an empty object", "{}"],
  ])("is the vendors' own rules when %s", (_, raw) => {
    const soniox = parsePolicy(raw).vendor("soniox");
    expect(soniox).toEqual({
      vendor: "soniox",
      enabled: true,
      ttl: { min: 1, max: 3600, default: 300 },
      dailyQuota: undefined,
      options: {},
      requireClaim: undefined,
    });
  });

  it("may be an object, as a [vars.POLICY] table in wrangler.toml arrives", () => {
    expect(parsePolicy({ soniox: { daily_quota: 7 } }).vendor("soniox").dailyQuota).toBe(7);
  });

  it("parses the free-tier example", () => {
    const policy = parsePolicy(JSON.stringify(FREE_TIER_POLICY));
    expect(policy.vendor("soniox")).toEqual({
      vendor: "soniox",
      enabled: true,
      ttl: { min: 1, max: 120, default: 60 },
      dailyQuota: 20,
      options: {
        single_use: { kind: "force", value: true },
        usage_type: { kind: "in", values: ["transcribe_websocket"] },
      },
      requireClaim: undefined,
    });
    for (const id of ["speechmatics", "amivoice", "acedata"] as const) expect(policy.vendor(id).enabled).toBe(false);
  });

  it("parses the pro-tier example", () => {
    const policy = parsePolicy(JSON.stringify(PRO_TIER_POLICY));
    for (const id of ["soniox", "speechmatics", "amivoice", "acedata"] as const) {
      expect(policy.vendor(id).requireClaim).toEqual({ claim: "plan", in: ["pro"] });
      expect(policy.vendor(id).dailyQuota).toBeGreaterThan(0);
    }
    expect(policy.vendor("speechmatics").ttl).toEqual({ min: 60, max: 3600, default: 900 });
    expect(policy.vendor("acedata").options).toEqual({ limited_amount: { kind: "force", value: 5 } });
  });

  it("fills a one-sided numeric range with the vendor's own inclusive bound", () => {
    const soniox = parsePolicy({ soniox: { options: { max_session_duration_seconds: { max: 600 } } } }).vendor(
      "soniox",
    );
    expect(soniox.options.max_session_duration_seconds).toEqual({ kind: "range", min: 1, max: 600 });
    const acedata = parsePolicy({ acedata: { options: { limited_amount: { max: 5 } } } }).vendor("acedata");
    expect(acedata.options.limited_amount).toEqual({ kind: "range", min: undefined, max: 5 });
  });

  it("serves the free tier end to end: Soniox only, single-use, two minutes at most", async () => {
    const user = uniqueUser("free");
    const response = await mint("soniox", user, { env: withPolicy(FREE_TIER_POLICY) });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ single_use: true, ttl_seconds: 60 });
    await expectError(await mint("speechmatics", user, { env: withPolicy(FREE_TIER_POLICY) }), 403, "forbidden");
  });

  it("serves the pro tier end to end to pro users only", async () => {
    const user = uniqueUser("pro");
    const env = withPolicy(PRO_TIER_POLICY);
    await expectError(await mint("speechmatics", user, { env }), 403, "forbidden");
    const response = await mint("speechmatics", user, { env, token: { claims: { plan: "pro" } } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ region: "eu", ttl_seconds: 900 });
    expect((await receivedFor(user))[0]?.body).toMatchObject({ region: "eu", ttl: 900 });
  });
});
