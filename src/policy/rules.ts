import * as z from "zod/mini";
import { brokerError } from "../errors";
import type { VendorId } from "../vendors/registry";
import { requestSchema } from "../vendors/request-schema";
import type { AppliedOptions, OptionValue, VendorAdapter } from "../vendors/types";
import type { OptionRule, Scalar, VendorPolicy } from "./types";

/**
 * Applies a vendor's policy to one request. Nothing is widened or clamped: a
 * request outside the policy is refused, `400 invalid_request` for a range and
 * `403 forbidden` for a value the policy forbids, with a message naming the rule.
 */

type RequestSchema = ReturnType<typeof requestSchema>;

const narrowedSchemas = new WeakMap<VendorPolicy, RequestSchema>();

/**
 * The request body schema, with `ttl_seconds` held to the policy's range so
 * that the refusal names that range. The vendor's own schema when the policy
 * leaves the range alone.
 */
export function policyRequestSchema(vendor: VendorId, adapter: VendorAdapter, policy: VendorPolicy): RequestSchema {
  const { min, max } = policy.ttl;
  if (min === adapter.ttl.min && max === adapter.ttl.max) return requestSchema(vendor, adapter);
  let schema = narrowedSchemas.get(policy);
  if (!schema) {
    const range = `ttl_seconds must be an integer from ${min} to ${max} for ${vendor} under this broker's policy`;
    schema = z.strictObject({
      ttl_seconds: z.optional(z.int().check(z.minimum(min, range), z.maximum(max, range))),
      ...adapter.fields,
    }) as unknown as RequestSchema;
    narrowedSchemas.set(policy, schema);
  }
  return schema;
}

/**
 * The options to mint with: forced values filled in, every other rule checked
 * against the value that would be applied (the client's, or the field's
 * default). `sent` is the request body as received, to tell a value the
 * client sent from a default the schema filled in.
 */
export function applyOptionRules(
  vendor: VendorId,
  policy: VendorPolicy,
  sent: object,
  options: AppliedOptions,
  applies: (name: string, options: AppliedOptions) => boolean = () => true,
): AppliedOptions {
  const applied = { ...options };
  // Whether an option applies is judged with the forced values in place (a forced kind "agent" makes agent_id apply).
  const withForced = { ...options };
  for (const [name, rule] of Object.entries(policy.options)) if (rule.kind === "force") withForced[name] = rule.value;
  for (const [name, rule] of Object.entries(policy.options)) {
    const wasSent = Object.hasOwn(sent, name);
    // An option that means nothing with the others (agent_id for a token) is neither required nor forced.
    if (!wasSent && !applies(name, withForced)) continue;
    applied[name] = checked(vendor, name, rule, wasSent, applied[name]);
  }
  return applied;
}

function checked(vendor: VendorId, name: string, rule: OptionRule, sent: boolean, value: OptionValue | undefined) {
  const under = `under this broker's policy for ${vendor}`;
  switch (rule.kind) {
    case "force":
      if (sent && !sameValue(value, rule.value)) {
        throw forbidden(`${name} is fixed to ${show(rule.value)} ${under}; leave it out or send ${show(rule.value)}`);
      }
      return rule.value;
    case "in": {
      const allowed = rule.values.map(show).join(", ");
      if (value === undefined) throw invalid(vendor, `${name} must be sent: only ${allowed} is allowed ${under}`);
      if (!allowedBy(rule.values, value)) {
        const expected = Array.isArray(value) ? `a list of ${allowed} only` : `one of ${allowed}`;
        throw forbidden(
          sent
            ? `${name} must be ${expected} ${under}`
            : `${name} defaults to ${show(value)}, which is not allowed ${under}; send ${expected}`,
        );
      }
      return value;
    }
    case "range": {
      const range = describeRange(rule.min, rule.max);
      if (value === undefined) throw invalid(vendor, `${name} must be sent: it must be ${range} ${under}`);
      const inRange =
        typeof value === "number" &&
        (rule.min === undefined || value >= rule.min) &&
        (rule.max === undefined || value <= rule.max);
      if (!inRange) throw invalid(vendor, `${name} must be ${range} ${under}`);
      return value;
    }
  }
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  return max !== undefined ? `at most ${max}` : `at least ${min}`;
}

/** Whether an `in` rule's values allow the value: one of them, or for a list option (Cartesia's grants), only them. */
export function allowedBy(values: readonly Scalar[], value: unknown): boolean {
  return Array.isArray(value) ? value.every((element) => values.includes(element)) : values.includes(value as Scalar);
}

/** Equal values; lists are sets, so the same elements in any order are equal. */
function sameValue(value: OptionValue | undefined, expected: OptionValue): boolean {
  if (!Array.isArray(value) || !Array.isArray(expected)) return value === expected;
  return value.length === expected.length && value.every((element) => expected.includes(element));
}

function show(value: OptionValue): string {
  return JSON.stringify(value);
}

function invalid(vendor: VendorId, message: string) {
  return brokerError("invalid_request", `invalid ${vendor} request: ${message}`);
}

function forbidden(message: string) {
  return brokerError("forbidden", `forbidden by policy: ${message}`);
}
