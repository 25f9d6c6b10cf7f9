import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { createEmulator, jsonReply, readBody, send } from "./emulator/server";
import type { DevIdentity } from "./identity";

/**
 * The development companion to `wrangler dev`: the vendor emulator, the dev
 * identity provider, the demo page and the API reference, on one loopback
 * port. None of it is part of the Worker bundle.
 *
 *   GET  /              the demo page
 *   GET  /docs          the API reference: Redoc (the `redoc` devDependency's standalone
 *                       bundle) rendering the broker's /openapi.json. Nothing it loads
 *                       leaves this machine: no CDN, no web fonts (see redocPagePolicy)
 *   GET  /docs/redoc.standalone.js   that bundle, from node_modules
 *   GET  /favicon.svg   the pages' icon, also at /favicon.ico, which browsers ask for unprompted
 *   POST /dev/token     {"sub"} → {"token"}: a dev user's ID token
 *   POST /dev/access-token  {"email"} → {"token"}: an operator's Cf-Access-Jwt-Assertion from the dev Access team
 *   …                   the vendor emulator (see emulator/server.ts)
 */
export interface DevServerOptions {
  port: number;
  brokerUrl: string;
  identity: DevIdentity;
}

const DEMO_DIR = fileURLToPath(new URL("./demo/", import.meta.url));
const MAX_SUBJECT_CHARS = 256;
const REDOC_BUNDLE = createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
/** Redoc's sidebar footer shows this logo from Redocly's CDN; the served bundle drops it. */
const REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";

/**
 * What the reference page may load: itself, the bundle and the broker's document. Redoc's
 * search index runs in a worker made from a blob, and its styles are injected inline.
 */
function redocPagePolicy(brokerUrl: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${brokerUrl}`,
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "worker-src blob:",
  ].join("; ");
}

export async function startDevServer({ port, brokerUrl, identity }: DevServerOptions): Promise<Server> {
  const emulator = createEmulator({ publicJwks: identity.publicJwks, accessJwks: identity.accessJwks });
  const devUrl = `http://127.0.0.1:${port}`;
  const pageConfig = { brokerUrl, emulatorUrl: devUrl, emulatorWsUrl: `ws://127.0.0.1:${port}` };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      console.error("dev server error:", error);
      if (!res.headersSent) send(res, jsonReply(500, { error: "dev server error" }));
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse) {
    if (await emulator.handleHttp(req, res)) return;
    const path = new URL(req.url ?? "/", devUrl).pathname;
    if (req.method === "POST" && path === "/dev/token") return issueToken(req, res, "sub", identity.signToken);
    if (req.method === "POST" && path === "/dev/access-token") {
      return issueToken(req, res, "email", identity.signAccessAssertion);
    }
    if (req.method === "GET" && (path === "/" || path === "/docs")) {
      const page = await readFile(`${DEMO_DIR}${path === "/" ? "index.html" : "docs.html"}`, "utf8");
      const html = page.replace("/*DEMO_CONFIG*/", `window.DEMO_CONFIG = ${JSON.stringify(pageConfig)};`);
      const headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" };
      if (path === "/docs") headers["content-security-policy"] = redocPagePolicy(brokerUrl);
      return send(res, { status: 200, headers, body: html });
    }
    if (req.method === "GET" && path === "/demo.js") return send(res, await bundleDemo());
    if (req.method === "GET" && (path === "/favicon.svg" || path === "/favicon.ico")) return send(res, await favicon());
    if (req.method === "GET" && path === "/docs/redoc.standalone.js") return send(res, await redocBundle());
    send(res, jsonReply(404, { error: "not found" }));
  }

  server.on("upgrade", (req, socket, head) => {
    if (!emulator.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}

/** `POST {"<field>":"…"}` → `{"token"}`: a token for that user, from `sign`. */
async function issueToken(
  req: IncomingMessage,
  res: ServerResponse,
  field: "sub" | "email",
  sign: (value: string) => Promise<string>,
) {
  let value: unknown;
  try {
    value = (JSON.parse(await readBody(req)) as Record<string, unknown>)[field];
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_SUBJECT_CHARS) {
    return send(res, jsonReply(400, { error: `${field} must be a string of 1 to ${MAX_SUBJECT_CHARS} characters` }));
  }
  send(res, jsonReply(200, { token: await sign(value) }));
}

async function favicon() {
  const body = await readFile(`${DEMO_DIR}favicon.svg`, "utf8");
  return { status: 200, headers: { "content-type": "image/svg+xml" }, body };
}

/** Bundled on each request, so edits to the demo show on reload. */
async function bundleDemo() {
  const result = await build({
    entryPoints: [`${DEMO_DIR}main.ts`],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  return {
    status: 200,
    headers: { "content-type": "text/javascript; charset=utf-8" },
    body: result.outputFiles[0]?.text ?? "",
  };
}

/** The Redoc bundle as installed, without its one request to a CDN (an empty `src` loads nothing). */
async function redocBundle() {
  const bundle = await readFile(REDOC_BUNDLE, "utf8");
  return {
    status: 200,
    headers: { "content-type": "text/javascript; charset=utf-8" },
    body: bundle.replaceAll(REDOC_CDN_LOGO, ""),
  };
}
