import { describe, expect, it } from "vitest";
import { ConfigProblem } from "../../src/errors";
import { parsePolicy } from "../../src/policy/schema";
import { vendorIds } from "../../src/vendors/registry";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
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
  ['an unknown vendor beside "*"', { "*": { enabled: false }, sonix: { enabled: true } }, 'unknown vendor "sonix"'],
  [
    'a TTL range under "*"',
    { "*": { ttl_seconds: { max: 120 } } },
    '"*" may set only enabled, daily_quota, require_claim; set ttl_seconds under each vendor\'s own id',
  ],
  [
    'option rules under "*"',
    { "*": { options: { single_use: { force: true } } } },
    "set options under each vendor's own id",
  ],
  ['a "*" rule of the wrong type', { "*": { enabled: "no" } }, "POLICY *.enabled must be true or false"],
  ['an unknown key under "*"', { "*": { enable: false } }, "POLICY *: unknown key enable"],
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
  [
    "a forced list for a scalar option",
    { soniox: { options: { usage_type: { force: ["tts_rt"] } } } },
    "usage_type.force",
  ],
  ["a forced scalar for a list option", { cartesia: { options: { grants: { force: "stt" } } } }, "grants.force"],
  ["an empty forced list", { cartesia: { options: { grants: { force: [] } } } }, "grants.force"],
  ["a forced list that repeats", { cartesia: { options: { grants: { force: ["stt", "stt"] } } } }, "grants.force"],
  ["a forced list of numbers", { cartesia: { options: { grants: { force: [1] } } } }, "array of strings"],
  [
    "an allowed element a list option lacks",
    { cartesia: { options: { grants: { in: ["stt", "all"] } } } },
    "in entry 2",
  ],
  ["an allowed set of lists", { cartesia: { options: { grants: { in: [["stt"]] } } } }, "grants.in.0"],
  ["min/max on a list option", { cartesia: { options: { grants: { min: 1 } } } }, "only to numeric options"],
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

  it('applies "*" to every vendor POLICY does not name', () => {
    const gate = { claim: "plan", in: ["pro"] };
    const policy = parsePolicy({ "*": { enabled: false, daily_quota: 5, require_claim: gate } });
    for (const id of vendorIds) {
      expect(policy.vendor(id)).toMatchObject({ enabled: false, dailyQuota: 5, requireClaim: gate });
    }
  });

  it('lets a named vendor replace each key of "*" it sets, whole, and inherit the others', () => {
    const policy = parsePolicy({
      "*": { enabled: false, daily_quota: 5, require_claim: { claim: "plan", in: ["pro", "team"] } },
      soniox: { enabled: true, require_claim: { claim: "tier", in: [1] }, ttl_seconds: { max: 120, default: 60 } },
      speechmatics: { daily_quota: 9 },
    });
    expect(policy.vendor("soniox")).toMatchObject({
      enabled: true,
      dailyQuota: 5,
      requireClaim: { claim: "tier", in: [1] },
      ttl: { min: 1, max: 120, default: 60 },
    });
    expect(policy.vendor("speechmatics")).toMatchObject({
      enabled: false,
      dailyQuota: 9,
      requireClaim: { claim: "plan", in: ["pro", "team"] },
    });
    // A vendor's own TTL range and options never come from "*".
    expect(policy.vendor("speechmatics").ttl).toEqual({ min: 60, max: 3600, default: 300 });
  });

  it('keeps a named vendor\'s "enabled": false under a "*" that enables every vendor', () => {
    const policy = parsePolicy({ "*": { enabled: true }, openai: { enabled: false } });
    expect(policy.vendor("openai").enabled).toBe(false);
    expect(policy.vendor("deepgram").enabled).toBe(true);
  });

  it("fills a one-sided numeric range with the vendor's own inclusive bound", () => {
    const soniox = parsePolicy({ soniox: { options: { max_session_duration_seconds: { max: 600 } } } }).vendor(
      "soniox",
    );
    expect(soniox.options.max_session_duration_seconds).toEqual({ kind: "range", min: 1, max: 600 });
    const acedata = parsePolicy({ acedata: { options: { limited_amount: { max: 5 } } } }).vendor("acedata");
    expect(acedata.options.limited_amount).toEqual({ kind: "range", min: undefined, max: 5 });
  });
});
