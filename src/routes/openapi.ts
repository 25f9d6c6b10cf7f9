import type { Handler } from "hono";
import type { AppEnv } from "../app-env";
import { misconfigured } from "../errors";

/**
 * GET /openapi.json: the generated document, which `npm run openapi` writes to the
 * static assets (wrangler.toml `[assets]`) so that it is not part of the Worker bundle.
 */
export const openapiDocument: Handler<AppEnv> = async (c) => {
  const asset = await c.var.config.assets().fetch(new URL("/openapi.json", c.req.url));
  if (asset.status !== 200 || !asset.body) {
    await asset.body?.cancel();
    throw misconfigured("ASSETS", "ASSETS holds no /openapi.json: run `npm run openapi` before deploying");
  }
  return c.body(asset.body, 200, { "Content-Type": "application/json" });
};
