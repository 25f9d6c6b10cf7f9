import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { misconfigured } from "../errors";

/**
 * What the console page may do: run its own script and style sheet, and call this origin's
 * API. No inline script or style (uPlot sets styles through the DOM, which CSP allows),
 * no other origin, no framing.
 */
export const CONSOLE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The console's files in the static assets (`npm run build:console`), by path and content type. */
const FILES: Record<string, { asset: string; type: string }> = {
  "/console": { asset: "/console", type: "text/html; charset=utf-8" },
  "/console.js": { asset: "/console.js", type: "text/javascript; charset=utf-8" },
  "/console.css": { asset: "/console.css", type: "text/css; charset=utf-8" },
};

/**
 * GET /console and its script and styles: the operator console, from the static assets.
 * The page holds no data; everything it shows comes from the admin API, behind the admin
 * auth, so the page itself needs none.
 */
export function consoleRoutes() {
  const app = new Hono<AppEnv>();
  for (const [path, file] of Object.entries(FILES)) app.get(path, (c) => serve(c, file));
  return app;
}

async function serve(c: Context<AppEnv>, file: { asset: string; type: string }) {
  // "/console" names console.html: the assets' default HTML handling serves it without the extension.
  const asset = await c.var.config.assets().fetch(new URL(file.asset, c.req.url));
  if (asset.status !== 200 || !asset.body) {
    await asset.body?.cancel();
    throw misconfigured("ASSETS", "ASSETS holds no console: run `npm run build:console` before deploying");
  }
  return c.body(asset.body, 200, {
    "Content-Type": file.type,
    "Content-Security-Policy": CONSOLE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  });
}
