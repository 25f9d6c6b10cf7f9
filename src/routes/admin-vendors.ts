import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/middleware";
import { type BrokerConfig, LOOPBACK_HOSTS, type VarReader } from "../config";
import { ConfigProblem } from "../errors";
import { adapterFor, vendorIds } from "../vendors/registry";

export type VendorState = "configured" | "not_configured" | "misconfigured" | "disabled";

/**
 * GET /v1/admin/vendors: each vendor's state for the operator (the console's health panel),
 * read as a mint reads it, with no network call. GET /v1/vendors answers a user only for
 * the vendors that user may mint from. Never a value, only states.
 */
export function adminVendorsRoutes() {
  return new Hono<AppEnv>().get("/vendors", requireAdmin, (c) => c.json({ vendors: vendorStates(c.var.config) }));
}

function vendorStates(config: BrokerConfig) {
  const policy = config.policy();
  return vendorIds.map((id) => {
    const reader = watchingBaseUrls(config.vars);
    let state: VendorState;
    try {
      const settings = adapterFor(id).settings(reader.vars);
      state = settings === undefined ? "not_configured" : policy.vendor(id).enabled ? "configured" : "disabled";
    } catch (error) {
      if (!(error instanceof ConfigProblem)) throw error;
      state = "misconfigured";
    }
    return { id, state, loopback: state !== "not_configured" && reader.loopback() };
  });
}

/**
 * The vars as an adapter reads them, noting whether a base URL it read is on a loopback
 * host: plain http is accepted only there, which under `npm run dev` is the emulator.
 */
function watchingBaseUrls(vars: VarReader): { vars: VarReader; loopback: () => boolean } {
  let loopback = false;
  return {
    vars: {
      optional: (name) => vars.optional(name),
      flag: (name) => vars.flag(name),
      baseUrl: (name, fallback) => {
        const url = vars.baseUrl(name, fallback);
        loopback ||= LOOPBACK_HOSTS.has(new URL(url).hostname);
        return url;
      },
    },
    loopback: () => loopback,
  };
}
