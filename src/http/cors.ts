import type { MiddlewareHandler } from "hono";
import { CORS_MAX_AGE_SECONDS } from "../constants";
import { brokerError } from "../errors";
import type { AppEnv } from "../app-env";

/** A preflight's `Access-Control-Allow-Methods`. */
export const ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS";
/** A preflight's `Access-Control-Allow-Headers`. */
export const ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id";
/** `Access-Control-Expose-Headers` on every answer to an allowed origin. */
export const EXPOSED_HEADERS = "X-Request-Id, Retry-After";
/** Longest refused `Origin` written to the request log: the header is the caller's to fill. */
const MAX_LOGGED_ORIGIN_CHARS = 256;

/**
 * The operator's paths (the admin API and the audit trail). Cloudflare Access signs the
 * operator in with a cookie the browser sends by itself, so a script on any origin the
 * browser may call from could act as the operator: only the broker's own pages may.
 * Matched on the path the routes are matched on, so no spelling reaches them past this check.
 */
export const OPERATOR_PATH = /^\/v1\/(admin|audit)(\/|$)/;

/**
 * Exact-origin allowlist from `ALLOWED_ORIGINS`. A request without `Origin`
 * (mobile apps, servers) passes, and so does one from the broker's own origin
 * (the console at /console: not cross-origin, so it needs no CORS headers); a
 * browser origin not on the list gets `403` and no CORS headers, and so does
 * every other origin on the operator's paths, listed or not. `*` is never sent.
 *
 * The refusal happens before `next()`, and this middleware is mounted before
 * the routes: a refused origin never reaches a route, so no vendor is called
 * and no audit record is written.
 */
export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.header("Vary", "Origin");
  const origin = c.req.header("Origin");
  if (origin === undefined || origin === new URL(c.req.url).origin) {
    await next();
    varyByOrigin(c.res);
    return;
  }

  const operatorPath = OPERATOR_PATH.test(c.req.path);
  if (operatorPath || !c.var.config.allowedOrigins().has(origin)) {
    // The page sees only a network error (the browser hides a 403 without CORS headers),
    // so the log line names the origin an operator would have to add (or move off the admin paths).
    c.var.logFields.refused_origin = origin.slice(0, MAX_LOGGED_ORIGIN_CHARS);
    throw brokerError("forbidden", "this origin is not allowed to call the broker", {
      internal: operatorPath
        ? "only the broker's own origin may call the operator's paths"
        : "origin not in ALLOWED_ORIGINS",
    });
  }
  // Any method makes a preflight: the browser checks it against `ALLOWED_METHODS`. An empty
  // value names no method, so that `OPTIONS` is no preflight, as if the header were absent.
  const isPreflight = c.req.method === "OPTIONS" && (c.req.header("Access-Control-Request-Method") ?? "") !== "";
  if (isPreflight) {
    return c.body(null, 204, {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": ALLOWED_METHODS,
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Max-Age": String(CORS_MAX_AGE_SECONDS),
      Vary: "Origin",
    });
  }
  await next();
  varyByOrigin(c.res);
  c.res.headers.set("Access-Control-Allow-Origin", origin);
  c.res.headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
};

/** `c.header` reaches only the answers Hono builds; a route's own `Response` (the audit export's stream) gets it here. */
function varyByOrigin(response: Response): void {
  response.headers.set("Vary", "Origin");
}
