/**
 * What `POLICY` leaves open, one line per configured vendor, for
 * `npm run check-config`: enabled, TTL range, daily quota and claim gate, so
 * that an operator sees at a glance which vendors a user can reach. Like every
 * line check-config prints, it names claims but never their values.
 */
import type { BrokerConfig } from "../src/config";
import { ConfigProblem } from "../src/errors";
import type { VendorPolicy } from "../src/policy/types";
import { adapterFor, type VendorId, vendorIds } from "../src/vendors/registry";

/** The lines to print; none when `POLICY` itself is broken, which is reported as a problem instead. */
export function policySummary(config: BrokerConfig): string[] {
  let policy: ReturnType<BrokerConfig["policy"]>;
  try {
    policy = config.policy();
  } catch (error) {
    if (error instanceof ConfigProblem) return [];
    throw error;
  }
  const lines = ["Vendors under POLICY:"];
  const unconfigured: VendorId[] = [];
  for (const id of vendorIds) {
    const state = configured(id, config);
    if (state === "unset") unconfigured.push(id);
    else lines.push(`  ${id}: ${state === "broken" ? "misconfigured (see above)" : describe(policy.vendor(id))}`);
  }
  if (unconfigured.length > 0) lines.push(`Not configured (secret unset), so unavailable: ${unconfigured.join(", ")}`);
  return lines;
}

function configured(id: VendorId, config: BrokerConfig): "set" | "unset" | "broken" {
  try {
    return adapterFor(id).settings(config.vars) === undefined ? "unset" : "set";
  } catch (error) {
    if (error instanceof ConfigProblem) return "broken";
    throw error;
  }
}

function describe(policy: VendorPolicy): string {
  if (!policy.enabled) return "disabled by POLICY";
  const { min, max, default: fallback } = policy.ttl;
  const parts = [
    "enabled",
    `TTL ${min}-${max} s (default ${fallback})`,
    policy.dailyQuota === undefined ? "no daily quota of its own" : `daily quota ${policy.dailyQuota}`,
    policy.requireClaim ? `gated on token claim "${policy.requireClaim.claim}"` : "open to every user",
  ];
  const ruled = Object.keys(policy.options);
  if (ruled.length > 0) parts.push(`option rules on ${ruled.join(", ")}`);
  return parts.join(", ");
}
