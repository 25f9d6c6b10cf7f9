import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { VarReader } from "../config";
import { BrokerError } from "../errors";
import openapi from "../generated/openapi.json";
import { logLine } from "../log";
import { adapterFor, type VendorId, vendorIds } from "../vendors/registry";

/** GET /v1/vendors: the vendors this broker can mint for, with their TTL range and options. */
export function vendorsRoutes() {
  return new Hono<AppEnv>().get("/", requireEndUser, (c) => {
    const vendors = vendorIds
      .filter((id) => isUsable(id, c.var.config.vars))
      .map((id) => {
        const adapter = adapterFor(id);
        return { id, ttl_seconds: adapter.ttl, options: optionsDocument(id) };
      });
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

/** The vendor's body fields as JSON Schema, from the OpenAPI document generated at build time. */
function optionsDocument(id: VendorId): unknown {
  const schemas = openapi.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
  const { ttl_seconds: _ttl, ...options } = schemas[`${id}_key_request`]?.properties ?? {};
  return options;
}
