import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { BrokerConfig, VarReader } from "../config";
import { BrokerError } from "../errors";
import { logLine } from "../log";
import { passesClaimGate } from "../policy/claims";
import { type VendorListing, vendorListing } from "../policy/listing";
import { derivesFromUser, policyForUser } from "../policy/placeholder";
import type { VendorPolicy } from "../policy/types";
import { adapterFor, type VendorId, vendorIds } from "../vendors/registry";

/**
 * GET /v1/vendors: the vendors this caller may mint for, with the TTL range
 * and options the policy leaves them. A malformed `POLICY` fails the listing
 * as it fails every mint.
 */
export function vendorsRoutes() {
  return new Hono<AppEnv>().get("/", requireEndUser, (c) => {
    const { user } = c.var;
    const vendors = configuredListings(c.var.config)
      .filter(({ rules }) => passesClaimGate(rules.requireClaim, user.claims))
      // A value POLICY derives from the user ({client_ref}) is shown as this caller gets it.
      .map(({ rules, settings, listing }) =>
        derivesFromUser(rules) ? vendorListing(policyForUser(rules, user.clientRef), settings) : listing,
      );
    return c.json({ vendors });
  });
}

interface ConfiguredListing {
  rules: VendorPolicy;
  settings: unknown;
  listing: VendorListing;
}

/** Per configuration (one per isolate and env): only the caller's claims differ from request to request. */
const listingsByConfig = new WeakMap<BrokerConfig, ConfiguredListing[]>();

/** The vendors configured and enabled by the policy, with their listings; a claim gate is left to the caller. */
function configuredListings(config: BrokerConfig): ConfiguredListing[] {
  let listings = listingsByConfig.get(config);
  if (!listings) {
    const policy = config.policy();
    listings = vendorIds.flatMap((id) => {
      const settings = usableSettings(id, config.vars);
      const rules = policy.vendor(id);
      return settings !== undefined && rules.enabled
        ? [{ rules, settings, listing: vendorListing(rules, settings) }]
        : [];
    });
    listingsByConfig.set(config, listings);
  }
  return listings;
}

/** The vendor's settings; undefined when it is not configured, or misconfigured. */
function usableSettings(id: VendorId, vars: VarReader): unknown {
  try {
    return adapterFor(id).settings(vars);
  } catch (error) {
    // A misconfigured vendor is left out here; minting for it names the problem.
    if (!(error instanceof BrokerError)) throw error;
    logLine("warn", { msg: "vendor misconfigured", vendor: id, code: error.code });
    return undefined;
  }
}
