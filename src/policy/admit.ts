import type { EndUser } from "../auth/end-user";
import type { BrokerConfig } from "../config";
import { brokerError, ConfigProblem, misconfigured } from "../errors";
import { parseOrThrow } from "../http/validation";
import { adapterFor, type VendorId } from "../vendors/registry";
import type { AppliedOptions, VendorAdapter } from "../vendors/types";
import { enforceClaimGate } from "./claims";
import { policyForUser, refuseInvalidDerivedValues } from "./placeholder";
import { applyOptionRules, policyRequestSchema } from "./rules";
import type { VendorPolicy } from "./types";

/** A mint request that passed every check the broker can make before a rate limit, quota or vendor call. */
export interface AdmittedMint {
  adapter: VendorAdapter;
  settings: unknown;
  /** The vendor's options to mint with, forced values included; echoed in the response and the audit. */
  options: AppliedOptions;
  ttlSeconds: number;
  /** The vendor's effective policy (`dailyQuota` among it). */
  policy: VendorPolicy;
}

/**
 * Checks a mint request, in this order: `POLICY` is valid, the vendor is
 * configured, the policy enables it, the user passes its claim gate, the body
 * fits the vendor's schema (with the policy's TTL range), the vendor's own
 * cross-field rules, then the policy's option rules.
 */
export function admitMint(vendorId: VendorId, body: unknown, config: BrokerConfig, user: EndUser): AdmittedMint {
  const configured = config.policy().vendor(vendorId);
  const policy = policyForUser(configured, user.clientRef);
  const adapter = adapterFor(vendorId);
  const settings = adapter.settings(config.vars);
  if (settings === undefined) {
    throw brokerError("vendor_not_configured", `vendor "${vendorId}" is not configured on this broker`);
  }
  if (!policy.enabled) throw brokerError("forbidden", `${vendorId} is disabled by policy on this broker`);
  enforceClaimGate(vendorId, policy.requireClaim, user.claims);

  // The configured policy, not the user's copy: its schema is built once, and the TTL range is the same.
  const schema = policyRequestSchema(vendorId, adapter, configured);
  const { ttl_seconds, ...requested } = parseOrThrow(schema, body, `${vendorId} request`);
  // The schema accepted `body`, so it is an object.
  const options = applyOptionRules(vendorId, policy, body as object, requested, (name, current) =>
    adapter.optionApplies ? adapter.optionApplies(name, current) : true,
  );
  refuseInvalidDerivedValues(vendorId, configured, adapter.fields, options);
  const ttlSeconds = ttl_seconds ?? policy.ttl.default;
  // Checked on the options as they will be sent, forced values included.
  const broken = adapter.checkOptions?.(options, ttlSeconds) ?? adapter.checkSettings?.(options, settings);
  if (broken) {
    throwOnConflict(vendorId, adapter.checkSettings?.(forcedValues(policy), settings));
    throw brokerError("invalid_request", `invalid ${vendorId} request: ${broken}`);
  }
  return { adapter, settings, options, ttlSeconds, policy };
}

/**
 * For the health check: a forced option that the vendor's own settings refuse
 * (a forced `limited_amount` above `ACEDATA_MAX_AMOUNT`, say) would fail every
 * mint for that vendor, so it is reported before any user meets it. Problems
 * with the settings or the policy themselves are reported by their own checks.
 */
export function checkForcedOptions(vendorId: VendorId, config: BrokerConfig): void {
  const adapter = adapterFor(vendorId);
  let settings: unknown;
  let policy: VendorPolicy;
  try {
    settings = adapter.settings(config.vars);
    policy = config.policy().vendor(vendorId);
  } catch (error) {
    if (error instanceof ConfigProblem) return;
    throw error;
  }
  if (settings === undefined) return;
  throwOnConflict(vendorId, adapter.checkSettings?.(forcedValues(policy), settings));
}

function forcedValues(policy: VendorPolicy): AppliedOptions {
  const forced: AppliedOptions = {};
  for (const [name, rule] of Object.entries(policy.options)) if (rule.kind === "force") forced[name] = rule.value;
  return forced;
}

function throwOnConflict(vendorId: VendorId, conflict: string | undefined): void {
  if (conflict) {
    throw misconfigured("POLICY", `POLICY ${vendorId}.options conflict with this broker's settings: ${conflict}`);
  }
}
