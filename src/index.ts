import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import type { Deps } from "./deps";
import { BrokerError, brokerError, errorBody } from "./errors";
import { cors } from "./http/cors";
import { requestContext } from "./http/request-id";
import { adminRoutes } from "./routes/admin";
import { adminVendorsRoutes } from "./routes/admin-vendors";
import { auditRoutes } from "./routes/audit";
import { consoleRoutes } from "./routes/console";
import { healthRoutes } from "./routes/health";
import { keysRoutes } from "./routes/keys";
import { livekitRoutes } from "./routes/livekit";
import { meRoutes } from "./routes/me";
import { openapiDocument } from "./routes/openapi";
import { statsRoutes } from "./routes/stats";
import { vendorsRoutes } from "./routes/vendors";

/** Routes and the methods they answer, so other methods get `405` with `Allow`. */
export const ROUTE_METHODS: Record<string, string> = {
  "/healthz": "GET",
  "/openapi.json": "GET",
  "/v1/vendors": "GET",
  "/v1/keys/:vendor": "POST",
  "/v1/livekit/token": "POST",
  "/v1/audit": "GET",
  "/v1/audit/export": "GET",
  "/v1/audit/:id": "GET",
  "/v1/me/usage": "GET",
  "/v1/admin/deny": "POST",
  "/v1/admin/deny/:client_ref": "GET, DELETE",
  "/v1/admin/stats": "GET",
  "/v1/admin/users": "GET",
  "/v1/admin/vendors": "GET",
};

export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestContext(deps));
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("Cache-Control", "no-store");
  });
  app.use(cors);

  app.route("/healthz", healthRoutes());
  app.get("/openapi.json", openapiDocument);
  app.route("/v1/vendors", vendorsRoutes());
  app.route("/v1/keys", keysRoutes(deps));
  app.route("/v1/livekit", livekitRoutes(deps));
  app.route("/v1/audit", auditRoutes());
  app.route("/v1/me", meRoutes(deps));
  app.route("/v1/admin", adminRoutes(deps));
  app.route("/v1/admin", statsRoutes(deps));
  app.route("/v1/admin", adminVendorsRoutes());
  app.route("/", consoleRoutes());

  for (const [path, allowed] of Object.entries(ROUTE_METHODS)) {
    app.all(path, (c) => {
      c.header("Allow", allowed);
      throw brokerError("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed}`);
    });
  }
  app.notFound(() => {
    throw brokerError("not_found", "no such route");
  });
  app.onError((error, c) => {
    const known = error instanceof BrokerError ? error : undefined;
    const rendered = known ?? brokerError("internal_error", "internal error");
    c.var.logFields.code = rendered.code;
    if (known?.internal) c.var.logFields.reason = known.internal;
    if (!known) c.var.logFields.reason = error instanceof Error ? error.name : "non-error thrown";
    return c.json(errorBody(rendered, c.var.requestId), rendered.status, rendered.headers);
  });

  return app;
}

export { UserState } from "./user-state/object";
export { MintStats } from "./stats/object";

export default createApp({
  now: () => new Date(),
  fetch: (input, init) => fetch(input, init),
  sharedCache: () => caches.default,
});
