import { checkForcedOptions } from "./policy/admit";
import type { BrokerConfig } from "./config";
import { ConfigProblem } from "./errors";
import { adapterFor, type VendorId, vendorIds } from "./vendors/registry";

/** One broken setting: the variable (or binding) at fault and what is wrong, never its value. */
export interface ConfigProblemReport {
  variable: string;
  problem: string;
}

type Check = (config: BrokerConfig) => unknown;

/** A vendor's credentials, base URL and other vars, read as a mint would read them. */
function vendorSettings(id: VendorId): Check {
  return (config) => adapterFor(id).settings(config.vars);
}

/**
 * Every part of the configuration read from vars and secrets. Each check calls
 * the same accessor the routes use, so a new setting is one line here.
 */
const SETTING_CHECKS: readonly Check[] = [
  (config) => config.auth(),
  (config) => config.clientRefSecret(),
  (config) => config.adminToken(),
  (config) => config.access(),
  (config) => config.allowedOrigins(),
  (config) => config.nativeAppsOnly(),
  (config) => config.upstreamTimeoutMs(),
  (config) => config.auditRetentionSeconds(),
  (config) => config.dailyMintQuota(),
  (config) => config.policy(),
  ...vendorIds.map(vendorSettings),
  ...vendorIds.map((id) => (config: BrokerConfig) => checkForcedOptions(id, config)),
];

/** Bindings exist only inside the Worker, so `npm run check-config` leaves these to `GET /healthz`. */
const BINDING_CHECKS: readonly Check[] = [
  (config) => config.auditNamespace(), // AUDIT
  (config) => config.userStateNamespace(), // USER_STATE
  (config) => config.mintStatsNamespace(), // MINT_STATS (the counts; a mint still works without it)
  (config) => config.assets(), // ASSETS (the OpenAPI document)
];

/**
 * Runs every check and collects each `ConfigProblem`; anything else thrown is
 * a bug and propagates. No check makes a network call.
 */
export function configProblems(config: BrokerConfig, options: { bindings: boolean }): ConfigProblemReport[] {
  const checks = options.bindings ? [...SETTING_CHECKS, ...BINDING_CHECKS] : SETTING_CHECKS;
  const problems: ConfigProblemReport[] = [];
  for (const check of checks) {
    try {
      check(config);
    } catch (error) {
      if (!(error instanceof ConfigProblem)) throw error;
      // One setting may break two accessors (CLIENT_REF_SECRET is part of auth too): list it once.
      if (!problems.some((p) => p.variable === error.variable && p.problem === error.message)) {
        problems.push({ variable: error.variable, problem: error.message });
      }
    }
  }
  return problems;
}
