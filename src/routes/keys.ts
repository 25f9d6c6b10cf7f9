import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { Deps } from "../deps";
import { brokerError } from "../errors";
import { readJsonObject } from "../http/body";
import { callerOf } from "../http/caller";
import { type MintContext, mintKey } from "../mint";
import { countMints } from "../stats/counting";
import { vendorIdSchema } from "../vendors/registry";

/** POST /v1/keys/{vendor}: validate, then hand over to the mint service; each request is counted after its answer. */
export function keysRoutes({ now, fetch, countMint }: Deps) {
  return new Hono<AppEnv>().post("/:vendor", countMints(countMint), requireEndUser, async (c) => {
    // Every mint is audited, so a missing AUDIT binding is refused before the
    // body is read or a vendor is called. It comes after authentication: an
    // anonymous caller learns nothing about the deployment, and no check made
    // so far needs the namespace. (The mint builds its audit store from the same config.)
    c.var.config.auditNamespace();
    const vendor = z.safeParse(vendorIdSchema, c.req.param("vendor"));
    if (!vendor.success) {
      throw brokerError("unknown_vendor", "no such vendor; GET /v1/vendors lists the configured ones");
    }
    c.var.logFields.vendor = vendor.data;
    const body = await readJsonObject(c.req.raw);
    const minted = await mintKey(vendor.data, body, mintContext(c, { now, fetch }));
    c.var.logFields.issuance_id = minted.issuance_id;
    return c.json(minted, 201);
  });
}

/** What the mint flow needs from a request that passed `requireEndUser`; every mint route builds it here. */
export function mintContext(c: Context<AppEnv>, { now, fetch }: Pick<Deps, "now" | "fetch">): MintContext {
  return {
    config: c.var.config,
    rateLimiter: c.env.MINT_RATE_LIMITER,
    fetch,
    now,
    user: c.var.user,
    caller: callerOf(c),
  };
}
