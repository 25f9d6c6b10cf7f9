import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ACCESS_ASSERTION_HEADER } from "./access";
import { authenticateAdmin } from "./admin";
import { authenticateEndUser } from "./end-user";
import type { KeySetDeps } from "./key-set";

export const requireEndUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config } = c.var;
  const user = await authenticateEndUser(c.req.header("Authorization"), config.auth(), keySetDeps(c.var));
  c.set("user", user);
  c.var.logFields.client_ref = user.clientRef;
  await next();
};

/** The one gate of every admin route (audit, deny, the console's data): ADMIN_TOKEN or Cloudflare Access. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config } = c.var;
  const admin = await authenticateAdmin(
    { authorization: c.req.header("Authorization"), assertion: c.req.header(ACCESS_ASSERTION_HEADER) },
    { adminToken: config.adminToken(), access: config.access() },
    keySetDeps(c.var),
  );
  c.set("admin", admin);
  // Reads leave no audit record, so the request log is where an export or a listing names its operator.
  c.var.logFields.actor = admin.actor;
  await next();
};

/** How key sets are fetched and cached: the app's clock and `fetch`, and the location's cache. */
function keySetDeps({ config, deps }: AppEnv["Variables"]): KeySetDeps {
  return { fetch: deps.fetch, now: deps.now, timeoutMs: config.upstreamTimeoutMs(), sharedCache: deps.sharedCache };
}
