import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { CONSOLE_POLICY } from "../../src/routes/console";
import { buildOpenApiDocument } from "../../src/openapi/document";
import { vendorIds } from "../../src/vendors/registry";
import { ADMIN_TOKEN, call, expectError } from "../helpers/broker";
import { answerProblems, type OpenApiDocument } from "../helpers/openapi-document";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Static assets holding the console's three files, as `npm run build:console` writes them. */
const consoleAssets = {
  fetch: async (input: RequestInfo | URL) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    const files: Record<string, string> = {
      "/console": "<!doctype html><title>console</title>",
      "/console.js": "console.log(1)",
      "/console.css": "body{}",
    };
    return path in files ? new Response(files[path]) : new Response("Not Found", { status: 404 });
  },
} as unknown as Fetcher;

describe("GET /console", () => {
  it.each([
    ["/console", "text/html; charset=utf-8", "<!doctype html><title>console</title>"],
    ["/console.js", "text/javascript; charset=utf-8", "console.log(1)"],
    ["/console.css", "text/css; charset=utf-8", "body{}"],
  ])("serves %s from the static assets with a strict Content-Security-Policy", async (path, type, body) => {
    const response = await call(path, { env: { ASSETS: consoleAssets } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe(type);
    expect(response.headers.get("Content-Security-Policy")).toBe(CONSOLE_POLICY);
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toBe(body);
  });

  it("allows no inline script or style, no other origin and no framing", () => {
    const directives = new Map(CONSOLE_POLICY.split("; ").map((d) => [d.split(" ")[0], d] as const));
    expect(directives.get("default-src")).toBe("default-src 'none'");
    expect(directives.get("script-src")).toBe("script-src 'self'");
    expect(directives.get("style-src")).toBe("style-src 'self'");
    expect(directives.get("connect-src")).toBe("connect-src 'self'");
    expect(directives.get("frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(CONSOLE_POLICY).not.toContain("unsafe");
  });

  it("is 500 misconfigured naming ASSETS when the console was not built", async () => {
    const empty = { fetch: async () => new Response("Not Found", { status: 404 }) } as unknown as Fetcher;
    const error = await expectError(await call("/console", { env: { ASSETS: empty } }), 500, "misconfigured");
    expect(error.message).toContain("npm run build:console");
  });
});

describe("GET /v1/admin/vendors", () => {
  async function states(env: Partial<Env>) {
    const response = await call("/v1/admin/vendors", { headers: admin, env });
    expect(response.status).toBe(200);
    const { vendors } = (await response.json()) as { vendors: { id: string; state: string; loopback: boolean }[] };
    return Object.fromEntries(vendors.map((v) => [v.id, v]));
  }

  it("lists every vendor; those on the emulator are configured on a loopback base URL", async () => {
    const all = await states({});
    expect(Object.keys(all)).toEqual([...vendorIds]);
    expect(all.soniox).toEqual({ id: "soniox", state: "configured", loopback: true });
  });

  it("names a vendor without its secret, with an invalid setting, and one disabled by POLICY", async () => {
    const all = await states({
      SONIOX_API_KEY: undefined,
      DEEPGRAM_BASE_URL: "http://vendor.example.com",
      POLICY: JSON.stringify({ openai: { enabled: false } }),
      GEMINI_BASE_URL: "https://gemini.example.com",
    });
    expect(all.soniox).toEqual({ id: "soniox", state: "not_configured", loopback: false });
    expect(all.deepgram).toEqual({ id: "deepgram", state: "misconfigured", loopback: false });
    expect(all.openai).toEqual({ id: "openai", state: "disabled", loopback: true });
    expect(all.gemini).toEqual({ id: "gemini", state: "configured", loopback: false });
  });

  it("answers as the OpenAPI document states", async () => {
    const document = (await buildOpenApiDocument()) as unknown as OpenApiDocument;
    const response = await call("/v1/admin/vendors", { headers: admin, env: { POLICY: '{"xai":{"enabled":false}}' } });
    expect(await answerProblems(document, "/v1/admin/vendors", "get", response)).toEqual([]);
  });

  it("needs the admin auth", async () => {
    await expectError(await call("/v1/admin/vendors"), 401, "unauthenticated");
    await expectError(
      await call("/v1/admin/vendors", { headers: { Authorization: "Bearer wrong" } }),
      401,
      "unauthenticated",
    );
  });
});
