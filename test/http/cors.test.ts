import { describe, expect, it } from "vitest";
import { auditRecordsFor } from "../helpers/audit";
import { ADMIN_TOKEN, call, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

const preflightHeaders = (origin: string) => ({
  Origin: origin,
  "Access-Control-Request-Method": "POST",
  "Access-Control-Request-Headers": "authorization, content-type",
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const response = await call("/v1/keys/soniox", {
      method: "OPTIONS",
      headers: preflightHeaders("https://app.example.com"),
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(response.headers.get("vary")).toBe("Origin");
  });

  it("answers a preflight for any method on any path but the operator's: the browser checks the method", async () => {
    for (const path of [
      "/v1/keys/soniox",
      `/v1/keys/${"x".repeat(300)}`,
      "/v1/me/usage",
      "/v1/auditor",
      "/v1/administrator",
      "/nowhere",
    ]) {
      for (const method of ["PATCH", "frobnicate", "get"]) {
        const headers = { ...preflightHeaders("https://app.example.com"), "Access-Control-Request-Method": method };
        const response = await call(path, { method: "OPTIONS", headers });
        expect(response.status, `${method} ${path}`).toBe(204);
        expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
      }
    }
  });

  it("takes an empty Access-Control-Request-Method as none: not a preflight, 405 with Allow", async () => {
    // Spaces and tabs around a header value are dropped on the way, so these arrive empty too.
    for (const method of ["", " ", "\t "]) {
      const headers = { ...preflightHeaders("https://app.example.com"), "Access-Control-Request-Method": method };
      const response = await call("/v1/keys/soniox", { method: "OPTIONS", headers });
      expect(response.headers.get("access-control-allow-methods"), JSON.stringify(method)).toBeNull();
      expect(response.headers.get("allow")).toBe("POST");
      await expectError(response, 405, "method_not_allowed");
    }
  });

  it("adds CORS headers to real answers, errors included, for an allowed origin", async () => {
    const headers = { ...(await bearer("alice")), Origin: "http://localhost:5173" };
    const ok = await call("/v1/keys/soniox", { method: "POST", headers });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(ok.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(ok.headers.get("vary")).toBe("Origin");

    const failed = await call("/v1/keys/soniox", { method: "POST", headers, body: { ttl_seconds: 0 } });
    expect(failed.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    await expectError(failed, 400, "invalid_request");
  });

  it("refuses a disallowed origin with 403 and no CORS headers", async () => {
    for (const response of [
      await call("/v1/keys/soniox", { method: "OPTIONS", headers: preflightHeaders("https://evil.example") }),
      await call("/v1/keys/soniox", {
        method: "POST",
        headers: { ...(await bearer("alice")), Origin: "https://evil.example" },
      }),
      await call("/v1/keys/soniox", { method: "POST", headers: { ...(await bearer("alice")), Origin: "null" } }),
    ]) {
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-methods")).toBeNull();
      await expectError(response, 403, "forbidden");
    }
  });

  it("refuses a disallowed origin before the route runs: no vendor call, no audit record", async () => {
    for (const origin of ["https://evil.example", "null"]) {
      const user = uniqueUser("cors-refused");
      const upstream = taggedBaseUrl();
      const env = { SONIOX_BASE_URL: upstream.baseUrl };
      const response = await mint("soniox", user, { headers: { Origin: origin }, env });

      await expectError(response, 403, "forbidden");
      expect(await upstream.received()).toEqual([]);
      expect(await receivedFor(user)).toEqual([]);
      expect(await auditRecordsFor(user)).toEqual([]);
    }
  });

  it("makes no vendor call for a preflight from a disallowed origin", async () => {
    const upstream = taggedBaseUrl();
    const response = await call("/v1/keys/soniox", {
      method: "OPTIONS",
      headers: preflightHeaders("https://evil.example"),
      env: { SONIOX_BASE_URL: upstream.baseUrl },
    });
    await expectError(response, 403, "forbidden");
    expect(await upstream.received()).toEqual([]);
  });

  it("logs the refused origin on the request line, so that it does not pass for an outage", async () => {
    const { lines } = await captureLogs(async () => {
      await call("/v1/keys/soniox", { method: "OPTIONS", headers: preflightHeaders("https://evil.example") });
      await call("/v1/keys/soniox", { method: "POST", headers: { Origin: "http://localhost:5174" } });
      await call("/healthz", { headers: { Origin: `https://${"a".repeat(300)}.example` } });
      await call("/healthz", { headers: { Origin: "https://app.example.com" } });
      await call("/healthz");
    });
    const requests = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === "request");
    expect(requests.map((line) => [line.status, line.refused_origin])).toEqual([
      [403, "https://evil.example"],
      [403, "http://localhost:5174"],
      [403, `https://${"a".repeat(248)}`],
      [200, undefined],
      [200, undefined],
    ]);
  });

  it("sees the vendor call and the audit record of an allowed origin (control for the checks above)", async () => {
    const user = uniqueUser("cors-allowed");
    const upstream = taggedBaseUrl();
    const env = { SONIOX_BASE_URL: upstream.baseUrl };
    const response = await mint("soniox", user, { headers: { Origin: "https://app.example.com" }, env });

    expect(response.status).toBe(201);
    expect(await upstream.received()).toHaveLength(1);
    expect(await receivedFor(user)).toHaveLength(1);
    expect(await auditRecordsFor(user)).toHaveLength(1);
  });

  it("matches origins exactly: no suffix, scheme or port tricks", async () => {
    for (const origin of [
      "https://app.example.com.evil.example",
      "http://app.example.com",
      "https://app.example.com:8443",
    ]) {
      await expectError(await call("/healthz", { headers: { Origin: origin } }), 403, "forbidden");
    }
  });

  it("refuses every browser origin when ALLOWED_ORIGINS is empty", async () => {
    await expectError(
      await call("/healthz", { headers: { Origin: "https://app.example.com" }, env: { ALLOWED_ORIGINS: "" } }),
      403,
      "forbidden",
    );
  });

  it("lets requests without Origin through, without CORS headers", async () => {
    const response = await call("/v1/keys/soniox", { method: "POST", headers: await bearer("mobile-user") });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the broker's own pages through (the console): their requests are not cross-origin", async () => {
    const response = await call("/v1/keys/soniox", {
      method: "POST",
      headers: { ...(await bearer("console-user")), Origin: "https://broker.test" },
      env: { ALLOWED_ORIGINS: "" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    // Only the exact origin: not another port or scheme of the same host.
    for (const origin of ["https://broker.test:8443", "http://broker.test"]) {
      await expectError(
        await call("/healthz", { headers: { Origin: origin }, env: { ALLOWED_ORIGINS: "" } }),
        403,
        "forbidden",
      );
    }
  });

  describe("the operator's paths (admin API, audit trail)", () => {
    const app = "https://app.example.com";
    const operatorCalls = async (origin?: string) => {
      const headers = { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(origin === undefined ? {} : { Origin: origin }) };
      return {
        "GET /v1/audit": await call("/v1/audit", { headers }),
        "GET /v1/admin/users": await call("/v1/admin/users", { headers }),
        "GET /v1/admin/stats": await call("/v1/admin/stats", { headers }),
        "POST /v1/admin/deny": await call("/v1/admin/deny", {
          method: "POST",
          headers,
          body: { client_ref: uniqueUser("cors-deny"), reason: "cors test" },
        }),
      };
    };

    it("refuse an origin in ALLOWED_ORIGINS, which may still mint: 403, no CORS headers, before the route", async () => {
      const user = uniqueUser("cors-app");
      expect((await mint("soniox", user, { headers: { Origin: app } })).status).toBe(201);

      for (const [name, response] of Object.entries(await operatorCalls(app))) {
        expect(response.headers.get("access-control-allow-origin"), name).toBeNull();
        expect(response.headers.get("access-control-expose-headers"), name).toBeNull();
        await expectError(response, 403, "forbidden");
      }
      for (const path of [
        "/v1/audit",
        "/v1/audit/export",
        "/v1/admin/deny",
        "/v1/admin/deny/alice",
        "/v1/admin/users",
      ]) {
        for (const method of ["GET", "POST", "DELETE"]) {
          const headers = { ...preflightHeaders(app), "Access-Control-Request-Method": method };
          const response = await call(path, { method: "OPTIONS", headers });
          expect(response.headers.get("access-control-allow-origin"), `${method} ${path}`).toBeNull();
          expect(response.headers.get("access-control-allow-methods"), `${method} ${path}`).toBeNull();
          await expectError(response, 403, "forbidden");
        }
      }
      // The deny was refused before its route: the user it named is not denied.
      expect((await mint("soniox", user)).status).toBe(201);
    });

    it("refuse it however the path is spelled, as long as it reaches the route", async () => {
      for (const path of ["/v1/audit?limit=1", "/v1/%61udit", "/v1/./audit", "/v1/keys/../audit"]) {
        const response = await call(path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, Origin: app } });
        await expectError(response, 403, "forbidden");
      }
    });

    it("let the broker's own origin and requests without Origin through", async () => {
      for (const origin of [undefined, "https://broker.test"]) {
        for (const [name, response] of Object.entries(await operatorCalls(origin))) {
          expect(response.status, `${origin} ${name}`).toBe(200);
          expect(response.headers.get("access-control-allow-origin"), name).toBeNull();
          await response.body?.cancel();
        }
      }
    });

    it("log the refused origin", async () => {
      const { lines } = await captureLogs(async () => {
        await call("/v1/audit", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, Origin: app } });
      });
      const request = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.msg === "request");
      expect(request).toMatchObject({ status: 403, refused_origin: app });
    });
  });

  it("never answers with a wildcard", async () => {
    const response = await call("/healthz", {
      headers: { Origin: "https://app.example.com" },
      env: { ALLOWED_ORIGINS: "*" },
    });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("ALLOWED_ORIGINS");
  });
});
