import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { getConfig } from "../config";
import { logLine } from "../log";

/** A caller's own id is kept beside ours when it is short and plain, so traces line up across systems. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware: request id, config, the app's deps, and one log line per
 * request. The request id is always the broker's own, so that an audit
 * record's id cannot be chosen (or made to collide) by a caller.
 */
export const requestContext =
  (deps: Deps): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    // Hono's TrieRouter (which SmartRouter falls back to for our routes) runs `app.use`
    // middleware twice for a path whose last segment is a literal `*` (`GET /*`;
    // honojs/hono#5370). A second pass must not make a second id and log line. The other
    // middleware runs twice there too; each is idempotent, and a new one with a side effect
    // must guard the same way.
    if (c.get("requestId") !== undefined) return next();
    const callerId = c.req.header("X-Request-Id");
    const callerRequestId = callerId && CALLER_REQUEST_ID.test(callerId) ? callerId : null;
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("callerRequestId", callerRequestId);
    c.set("config", getConfig(c.env));
    c.set("logFields", {});
    c.set("deps", deps);
    // The request's duration, for the log line only: nothing is decided on it.
    const started = deps.now().getTime();
    await next();
    c.res.headers.set("X-Request-Id", requestId);
    logLine(c.res.status >= 500 ? "error" : "info", {
      msg: "request",
      request_id: requestId,
      caller_request_id: callerRequestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: deps.now().getTime() - started,
      ...c.var.logFields,
    });
  };
