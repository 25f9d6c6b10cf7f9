import { describe, expect, it } from "vitest";
import { call, expectError } from "../helpers/broker";

/** A browser request from `origin` to a broker configured with `allowedOrigins`. */
function fromOrigin(origin: string, allowedOrigins: string): Promise<Response> {
  return call("/healthz", { headers: { Origin: origin }, env: { ALLOWED_ORIGINS: allowedOrigins } });
}

describe("ALLOWED_ORIGINS", () => {
  it.each([
    ["a bare wildcard", "*"],
    ["a wildcard subdomain", "https://*.acme.test"],
    ["a wildcard host", "https://*"],
    ["a wildcard with a port", "http://*:8080"],
    ["another character a host name cannot hold", "https://app!.acme.test"],
    ["a path", "https://app.acme.test/path"],
    ["a trailing slash", "https://app.acme.test/"],
    ["a query", "https://app.acme.test?x=1"],
    ["a fragment", "https://app.acme.test#x"],
    ["userinfo", "https://user:pw@app.acme.test"],
    ["an ftp scheme", "ftp://app.acme.test"],
    ["a wss scheme", "wss://app.acme.test"],
    ["an extension scheme", "chrome-extension://abcdefghijklmnop"],
    ["the literal null", "null"],
    ["an uppercase host", "https://App.Acme.test"],
    ["an uppercase scheme", "HTTPS://app.acme.test"],
    ["the default port spelled out", "https://app.acme.test:443"],
    ["an unnormalised IPv4 address", "http://127.1:5173"],
    ["an empty label", "https://app..acme.test"],
    ["a trailing dot", "https://app.acme.test."],
    ["no scheme", "app.acme.test"],
  ])("refuses %s as misconfigured, naming the variable and never the value", async (_, entry) => {
    const allowed = `https://app.example.com, ${entry}`;
    // Asked from the entry itself and from an origin that is listed: the list is refused, not the caller.
    for (const origin of [entry, "https://app.example.com"]) {
      const error = await expectError(await fromOrigin(origin, allowed), 500, "misconfigured");
      expect(error.message).toContain("ALLOWED_ORIGINS entry 2");
      expect(error.message).not.toContain(entry);
    }
  });

  it("refuses https://*.example.com rather than keeping it and never matching", async () => {
    // The URL parser accepts `*` in a host, so this entry used to be kept in silence.
    expect(new URL("https://*.example.com").origin).toBe("https://*.example.com");
    for (const origin of ["https://*.example.com", "https://app.example.com", "https://www.example.com"]) {
      await expectError(await fromOrigin(origin, "https://*.example.com"), 500, "misconfigured");
    }
  });

  it.each([
    "https://app.example.com",
    "http://localhost:5173",
    "http://127.0.0.1:8788",
    "http://[::1]:5173",
    "https://xn--bcher-kva.example",
    "https://my_app.example.com",
    "https://a-b.c-d.example:8443",
  ])("accepts the bare origin %s and answers it", async (origin) => {
    const response = await fromOrigin(origin, ` https://other.example , ${origin} ,`);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
  });

  it.each(["", "   ", " , ,"])("refuses every browser origin when it is %j", async (allowed) => {
    await expectError(await fromOrigin("https://app.example.com", allowed), 403, "forbidden");
  });

  it("answers browsers by ALLOWED_ORIGINS alone, whatever NATIVE_APPS_ONLY declares", async () => {
    const fromOriginDeclaring = (origin: string, allowed: string, nativeAppsOnly: string) =>
      call("/healthz", {
        headers: { Origin: origin },
        env: { ALLOWED_ORIGINS: allowed, NATIVE_APPS_ONLY: nativeAppsOnly },
      });
    await expectError(await fromOriginDeclaring("https://app.example.com", "", "true"), 403, "forbidden");
    // A contradiction /healthz reports, but CORS still admits the origin listed.
    const listed = await fromOriginDeclaring("https://app.example.com", "https://app.example.com", "true");
    expect(listed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect((await call("/healthz", { env: { ALLOWED_ORIGINS: "", NATIVE_APPS_ONLY: "true" } })).status).toBe(200);
  });
});
