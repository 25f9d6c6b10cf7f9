import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { authenticateAdmin } from "./admin";
import { authenticateEndUser } from "./end-user";

export const requireEndUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config, deps } = c.var;
  const user = await authenticateEndUser(c.req.header("Authorization"), config.auth(), {
    fetch: deps.fetch,
    now: deps.now,
    timeoutMs: config.upstreamTimeoutMs(),
    sharedCache: deps.sharedCache,
  });
  c.set("user", user);
  c.var.logFields.client_ref = user.clientRef;
  await next();
};

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticateAdmin(c.req.header("Authorization"), c.var.config.adminToken());
  await next();
};
