import * as z from "zod/mini";
import type { core } from "zod/mini";
import { type ConfigProblem, misconfigured } from "../errors";
import { adapterFor, type VendorId, vendorIds } from "../vendors/registry";
import type { OptionValue, TtlRange } from "../vendors/types";
import { CLAIM_PATH_RULE, parseClaimPath } from "./claims";
import { SAMPLE_CLIENT_REF, withClientRef } from "./placeholder";
import type { OptionRule, Policy, Scalar, VendorPolicy } from "./types";
import { isList, isNumeric, type OptionSchema, optionSchemas } from "./vendor-options";

/**
 * Reads the `POLICY` var: one JSON object keyed by vendor id, or by
 * `EVERY_VENDOR`. Every problem is `misconfigured("POLICY", …)` naming the
 * vendor, option and rule at fault, never a value from the policy (claim
 * values may be private to the operator).
 */

/** The `POLICY` key whose rule applies to every vendor, for each key that vendor's own entry leaves out. */
export const EVERY_VENDOR = "*";

/**
 * The keys `EVERY_VENDOR` may set. A TTL range or option rule that fits one
 * vendor breaks another (ElevenLabs' TTL is fixed, options differ by name),
 * so those are set per vendor only.
 */
const INHERITED_KEYS = ["enabled", "daily_quota", "require_claim"] as const;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const scalars = z.array(scalar).check(z.minLength(1));
const positiveInt = z.int().check(z.positive());

const optionRuleInput = z.strictObject({
  // An array forces a list option (Cartesia's grants) to that set.
  force: z.optional(z.union([scalar, z.array(z.string())])),
  in: z.optional(scalars),
  min: z.optional(z.number()),
  max: z.optional(z.number()),
});

const vendorRuleInput = z.strictObject({
  enabled: z.optional(z.boolean()),
  ttl_seconds: z.optional(
    z.strictObject({ min: z.optional(positiveInt), max: z.optional(positiveInt), default: z.optional(positiveInt) }),
  ),
  daily_quota: z.optional(positiveInt),
  options: z.optional(z.record(z.string(), optionRuleInput)),
  require_claim: z.optional(
    z.strictObject({
      claim: z.string().check(z.refine((text) => parseClaimPath(text) !== undefined, CLAIM_PATH_RULE)),
      in: scalars,
    }),
  ),
});

type VendorRuleInput = z.output<typeof vendorRuleInput>;
type OptionRuleInput = z.output<typeof optionRuleInput>;

const policyInput = z.record(z.string(), vendorRuleInput);

/**
 * Parses `POLICY` as set: unset or blank means no policy; a string is JSON
 * text; an object is a `[vars.POLICY]` table wrangler already parsed.
 */
export function parsePolicy(raw: unknown): Policy {
  const json = readJson(raw);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw problem("must be one JSON object keyed by vendor id");
  }
  for (const id of Object.keys(json)) {
    if (id !== EVERY_VENDOR && !(vendorIds as string[]).includes(id)) {
      throw problem(`names an unknown vendor "${id}"; known vendors: ${vendorIds.join(", ")}, or "${EVERY_VENDOR}"`);
    }
  }
  const parsed = z.safeParse(policyInput, json);
  if (!parsed.success) {
    throw problem(parsed.error.issues.slice(0, 3).map(describeIssue).join("; "));
  }
  const rules = parsed.data;
  const every = everyVendorRule(rules[EVERY_VENDOR]);
  const byVendor = new Map(vendorIds.map((id) => [id, vendorPolicy(id, inherit(every, rules[id]))]));
  return { vendor: (id) => byVendor.get(id) as VendorPolicy };
}

function everyVendorRule(input: VendorRuleInput = {}): VendorRuleInput {
  const perVendor = Object.keys(input).filter((key) => !(INHERITED_KEYS as readonly string[]).includes(key));
  if (perVendor.length > 0) {
    throw problem(
      `"${EVERY_VENDOR}" may set only ${INHERITED_KEYS.join(", ")}; set ${perVendor.join(" and ")} under each vendor's own id, since vendors differ in TTL range and options`,
    );
  }
  return input;
}

/** A named vendor's rule: each inheritable key from its own entry when set there (whole, never merged), else from `every`. */
function inherit(every: VendorRuleInput, own: VendorRuleInput = {}): VendorRuleInput {
  return {
    ...own,
    enabled: own.enabled ?? every.enabled,
    daily_quota: own.daily_quota ?? every.daily_quota,
    require_claim: own.require_claim ?? every.require_claim,
  };
}

function problem(message: string): ConfigProblem {
  return misconfigured("POLICY", `POLICY ${message}`);
}

function readJson(raw: unknown): unknown {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "string") return raw;
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw);
  } catch {
    // The parser's message quotes the text, so it is not passed on.
    throw problem("is not valid JSON: it must be one JSON object keyed by vendor id");
  }
}

function describeIssue(issue: core.$ZodIssue): string {
  const at = issue.path.join(".");
  switch (issue.code) {
    case "invalid_type":
      return `${at} must be ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}`;
    case "invalid_union":
      return issue.path.at(-1) === "force"
        ? `${at} must be a string, number, boolean, or an array of strings for a list option`
        : `${at} must be a string, number or boolean`;
    case "unrecognized_keys":
      return `${at}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    case "too_small":
      return issue.origin === "array" || issue.origin === "string"
        ? `${at} must not be empty`
        : `${at} must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
    case "custom":
      return `${at} ${issue.message}`;
    default:
      return `${at} is invalid`;
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: "an integer",
  number: "a number",
  boolean: "true or false",
  string: "a string",
  array: "an array",
  object: "an object",
  record: "an object",
};

function vendorPolicy(vendor: VendorId, input: VendorRuleInput): VendorPolicy {
  const options: Record<string, OptionRule> = {};
  for (const [name, rule] of Object.entries(input.options ?? {})) {
    options[name] = optionRule(vendor, name, rule);
  }
  return {
    vendor,
    enabled: input.enabled ?? true,
    ttl: ttlRange(vendor, input.ttl_seconds ?? {}),
    dailyQuota: input.daily_quota,
    options,
    requireClaim: input.require_claim,
  };
}

/** The effective TTL range: it may only narrow the vendor's own, and must hold its default. */
function ttlRange(vendor: VendorId, input: Partial<TtlRange>): TtlRange {
  const own = adapterFor(vendor).ttl;
  const range = { min: input.min ?? own.min, max: input.max ?? own.max, default: input.default ?? own.default };
  const at = `${vendor}.ttl_seconds`;
  for (const bound of ["min", "max", "default"] as const) {
    if (range[bound] < own.min || range[bound] > own.max) {
      throw problem(
        `${at}.${bound} is outside ${vendor}'s own range ${own.min}..${own.max}; POLICY may only narrow it`,
      );
    }
  }
  if (range.min > range.max) throw problem(`${at}.min is greater than its max`);
  if (range.default < range.min || range.default > range.max) {
    const whose = input.default === undefined ? `${vendor}'s own default ${own.default}` : "default";
    throw problem(`${at}: the ${whose} is outside ${range.min}..${range.max}; set ttl_seconds.default inside it`);
  }
  return range;
}

function optionRule(vendor: VendorId, name: string, input: OptionRuleInput): OptionRule {
  const at = `${vendor}.options.${name}`;
  const fields = adapterFor(vendor).fields;
  const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (field === undefined) {
    const known = Object.keys(fields).join(", ") || "none";
    throw problem(`${at}: ${vendor} has no option "${name}" (its options: ${known})`);
  }
  const kinds = [input.force !== undefined, input.in !== undefined, input.min !== undefined || input.max !== undefined];
  const count = kinds.filter(Boolean).length;
  if (count !== 1) {
    throw problem(`${at} must set exactly one of force, in, or min/max`);
  }
  const schema = optionSchemas(vendor)[name];
  // A value holding {client_ref} is checked as a sample user would have it.
  const valid = (value: OptionValue) => z.safeParse(field, withClientRef(value, SAMPLE_CLIENT_REF)).success;
  if (input.force !== undefined) {
    if (!valid(input.force)) throw problem(`${at}.force is not a valid ${name} for ${vendor}`);
    return { kind: "force", value: input.force };
  }
  if (input.in !== undefined) {
    // For a list option, `in` names the elements a request may list.
    const allowedAlone = (value: Scalar) => valid(isList(schema) ? [value as string] : value);
    const bad = input.in.findIndex((value) => !allowedAlone(value));
    if (bad >= 0) throw problem(`${at}.in entry ${bad + 1} is not a valid ${name} for ${vendor}`);
    return { kind: "in", values: [...new Set(input.in)] };
  }
  return numericRange(vendor, name, at, input, schema, valid);
}

/** A `min`/`max` rule: numeric options only, inside the vendor's own bounds. */
function numericRange(
  vendor: VendorId,
  name: string,
  at: string,
  input: OptionRuleInput,
  schema: OptionSchema | undefined,
  valid: (value: OptionValue) => boolean,
): OptionRule {
  if (!isNumeric(schema)) throw problem(`${at}: min and max apply only to numeric options, and ${name} is not one`);
  const own = describeBounds(schema as OptionSchema);
  for (const bound of ["min", "max"] as const) {
    const value = input[bound];
    if (value === undefined) continue;
    if (!withinBounds(value, schema as OptionSchema) || !valid(value)) {
      throw problem(`${at}.${bound} is not a valid ${name} for ${vendor} (${own}); POLICY may only narrow the range`);
    }
  }
  const min = input.min ?? (schema as OptionSchema).minimum;
  const max = input.max ?? (schema as OptionSchema).maximum;
  if (min !== undefined && max !== undefined && min > max) throw problem(`${at}.min is greater than its max`);
  return { kind: "range", min, max };
}

function withinBounds(value: number, schema: OptionSchema): boolean {
  return !(
    (schema.minimum !== undefined && value < schema.minimum) ||
    (schema.maximum !== undefined && value > schema.maximum) ||
    (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) ||
    (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
  );
}

function describeBounds(schema: OptionSchema): string {
  const parts = [
    schema.type === "integer" ? "an integer" : "a number",
    schema.minimum !== undefined ? `at least ${schema.minimum}` : undefined,
    schema.exclusiveMinimum !== undefined ? `greater than ${schema.exclusiveMinimum}` : undefined,
    schema.maximum !== undefined ? `at most ${schema.maximum}` : undefined,
    schema.exclusiveMaximum !== undefined ? `less than ${schema.exclusiveMaximum}` : undefined,
  ];
  return parts.filter(Boolean).join(", ");
}
