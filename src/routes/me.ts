import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { Deps } from "../deps";
import { usageOn, utcDay } from "../user-state/client";
import { vendorIds } from "../vendors/registry";

interface VendorUsage {
  mints: number;
  quota: number | null;
}

/** GET /v1/me/usage: the caller's own mints today (UTC) against their quotas; never another user's. */
export function meRoutes({ now }: Deps) {
  return new Hono<AppEnv>().get("/usage", requireEndUser, async (c) => {
    const { config, user } = c.var;
    const at = now();
    const quota = config.dailyMintQuota();
    const usage = await usageOn(config.userStateNamespace(), user.clientRef, at);
    const vendors: Record<string, VendorUsage> = {};
    for (const id of vendorIds) {
      const vendorQuota = config.policy().vendor(id).dailyQuota ?? null;
      const mints = usage.vendors[id] ?? 0;
      if (mints > 0 || vendorQuota !== null) vendors[id] = { mints, quota: vendorQuota };
    }
    return c.json({
      client_ref: user.clientRef,
      day: utcDay(at),
      mints: usage.total,
      quota,
      remaining: quota === null ? null : Math.max(0, quota - usage.total),
      vendors,
    });
  });
}
