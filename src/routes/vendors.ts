import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { VarReader } from "../config";
import { BrokerError } from "../errors";
import { logLine } from "../log";
import { passesClaimGate } from "../policy/claims";
import { vendorListing } from "../policy/listing";
import { adapterFor, type VendorId, vendorIds } from "../vendors/registry";

/**
 * GET /v1/vendors: the vendors this caller may mint for, with the TTL range
 * and options the policy leaves them. A malformed `POLICY` fails the listing
 * as it fails every mint.
 */
export function vendorsRoutes() {
  return new Hono<AppEnv>().get("/", requireEndUser, (c) => {
    const policy = c.var.config.policy();
    const vendors = vendorIds
      .filter((id) => isUsable(id, c.var.config.vars))
      .map((id) => policy.vendor(id))
      .filter((rules) => rules.enabled && passesClaimGate(rules.requireClaim, c.var.user.claims))
      .map(vendorListing);
    return c.json({ vendors });
  });
}

function isUsable(id: VendorId, vars: VarReader): boolean {
  try {
    return adapterFor(id).settings(vars) !== undefined;
  } catch (error) {
    // A misconfigured vendor is left out here; minting for it names the problem.
    if (!(error instanceof BrokerError)) throw error;
    logLine("warn", { msg: "vendor misconfigured", vendor: id, code: error.code });
    return false;
  }
}
