import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { VarReader } from "../config";
import { BrokerError } from "../errors";
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

const optionsDocuments = new Map<VendorId, unknown>();

/** JSON Schema of the vendor's body fields, from the same schemas that validate requests. */
function optionsDocument(id: VendorId): unknown {
  let document = optionsDocuments.get(id);
  if (document === undefined) {
    const schema = z.toJSONSchema(z.object(adapterFor(id).fields), { io: "input" }) as {
      properties?: unknown;
    };
    document = schema.properties ?? {};
    optionsDocuments.set(id, document);
  }
  return document;
}
