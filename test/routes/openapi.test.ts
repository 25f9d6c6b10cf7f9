import { describe, expect, it } from "vitest";
import { AuditStore } from "../../src/audit/store";
import type { Env } from "../../src/env";
import { ERROR_CODES } from "../../src/errors";
import { OPERATOR_PATH } from "../../src/http/cors";
import { issuanceIdSource } from "../../src/ids";
import { ROUTE_METHODS } from "../../src/index";
import { buildOpenApiDocument } from "../../src/openapi/document";
import { AUDIT_RECORD_EXAMPLE, EXAMPLE_ISSUANCE_ID, MINT_EXAMPLES } from "../../src/openapi/examples";
import { type VendorId, vendorIds } from "../../src/vendors/registry";
import {
  ADMIN_TOKEN,
  auditKv,
  type CallOptions,
  call,
  expectError,
  kvWithFailingWrites,
  uniqueUser,
} from "../helpers/broker";
import { emulatorUrl } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { answerProblems, type Json, type OpenApiDocument, schemaProblems } from "../helpers/openapi-document";
import { bearer } from "../helpers/tokens";

async function servedDocument(): Promise<OpenApiDocument> {
  const response = await call("/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

const document = (await buildOpenApiDocument()) as unknown as OpenApiDocument;

/** Route patterns as Hono writes them, turned into the document's paths. */
function documentedPaths(pattern: string): string[] {
  if (pattern === "/v1/keys/:vendor") return vendorIds.map((id) => `/v1/keys/${id}`);
  return [pattern.replace(/:id$/, "{issuance_id}").replace(/:client_ref$/, "{client_ref}")];
}

/** A concrete URL path for a documented path. */
function concrete(path: string): string {
  return path.replace("{issuance_id}", "01KJQGWFM8Q7T2V1D9X4ZB6N3C").replace("{client_ref}", "alice");
}

const ALLOWED_ORIGIN = "https://app.example.com";
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Sends a request and checks the answer against the document; returns the answer, unread. */
async function documented(path: string, method: string, url: string, options: CallOptions = {}): Promise<Response> {
  const response = await call(url, { ...options, method });
  const problems = await answerProblems(document, path, method, response.clone());
  expect(problems, `${method} ${url}`).toEqual([]);
  return response;
}

describe("GET /openapi.json", () => {
  it("is exactly what the zod schemas generate (run `npm run openapi` if this fails)", async () => {
    expect(await servedDocument()).toEqual(await buildOpenApiDocument());
  });

  it("documents every route with its methods and its CORS preflight, and no other path", async () => {
    const served = await servedDocument();
    for (const [pattern, methods] of Object.entries(ROUTE_METHODS)) {
      for (const path of documentedPaths(pattern)) {
        const documentedMethods = Object.keys(served.paths[path] ?? {});
        expect(documentedMethods, path).toEqual([...methods.toLowerCase().split(", "), "options"]);
      }
    }
    const routeCount = Object.keys(ROUTE_METHODS).length - 1 + vendorIds.length;
    expect(Object.keys(served.paths)).toHaveLength(routeCount);
  });

  it("documents every error code, in the Error schema and in some response", async () => {
    const served = await servedDocument();
    const errorSchema = JSON.stringify(served.components.schemas?.Error);
    const operationTexts = Object.values(served.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => Object.values(operation.responses as Record<string, { description: string }>))
      .map((response) => response.description);
    const componentTexts = Object.values(served.components.responses ?? {}).map((response) => response.description);
    const descriptions = [...operationTexts, ...componentTexts].join(" ");
    const codes = Object.keys(ERROR_CODES);
    expect(codes.filter((code) => !errorSchema.includes(`"${code}"`))).toEqual([]);
    expect(codes.filter((code) => !new RegExp(`\\b${code}\\b`).test(descriptions))).toEqual([]);
  });

  it("is served from the static assets with the broker's headers, and is 500 misconfigured when they lack it", async () => {
    const response = await call("/openapi.json", { headers: { Origin: ALLOWED_ORIGIN } });
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    await response.body?.cancel();

    const noDocument = { fetch: async () => new Response("Not Found", { status: 404 }) };
    for (const ASSETS of [undefined, noDocument]) {
      const refused = await call("/openapi.json", { env: { ASSETS: ASSETS as Fetcher | undefined } });
      const error = await expectError(refused, 500, "misconfigured");
      expect(error.message).toContain("ASSETS");
    }
  });

  it("documents each vendor's request body as the validator enforces it", async () => {
    const { components } = await servedDocument();
    expect(components.schemas?.speechmatics_key_request).toMatchObject({
      additionalProperties: false,
      properties: {
        ttl_seconds: { type: "integer", minimum: 60, maximum: 3600, default: 300 },
        type: { enum: ["rt", "batch"], default: "rt" },
      },
    });
    expect(
      Object.keys((components.schemas?.acedata_key_request as { properties: Json } | undefined)?.properties ?? {}),
    ).toEqual(["ttl_seconds", "limited_amount"]);
  });
});

describe("the document's request rules give the broker's verdicts", () => {
  /** Bodies on both sides of each rule between fields; the document's schema must accept exactly those the broker mints for. */
  const cases: [VendorId, Json][] = [
    ...[undefined, "realtime_scribe", "tts_websocket", "agent"].flatMap((kind) =>
      [undefined, "agent_1"].map((agentId): [VendorId, Json] => [
        "elevenlabs",
        { ...(kind === undefined ? {} : { kind }), ...(agentId === undefined ? {} : { agent_id: agentId }) },
      ]),
    ),
    ...[undefined, "rt", "batch"].flatMap((type) =>
      [undefined, "usa"].map((region): [VendorId, Json] => [
        "speechmatics",
        { ...(type === undefined ? {} : { type }), ...(region === undefined ? {} : { region }) },
      ]),
    ),
    ...[undefined, false, true].flatMap((identify) =>
      [undefined, "fr-FR"].flatMap((code) =>
        [undefined, "en-US,es-US"].map((languages): [VendorId, Json] => [
          "aws-transcribe",
          {
            ...(identify === undefined ? {} : { identify_language: identify }),
            ...(code === undefined ? {} : { language_code: code }),
            ...(languages === undefined ? {} : { language_options: languages }),
          },
        ]),
      ),
    ),
  ];

  it.each(cases)("%s %j", async (vendor, body) => {
    const schema = { $ref: `#/components/schemas/${vendor}_key_request` };
    const documentAccepts = schemaProblems(document, schema, body).length === 0;
    const response = await mint(vendor, uniqueUser(), { body });
    expect(response.status === 201, await response.text()).toBe(documentAccepts);
    if (!documentAccepts) expect(response.status).toBe(400);
  });
});

describe("real answers are what the document says", () => {
  it("each vendor's 201, for every request example, fits that vendor's own schema, headers and link", async () => {
    for (const vendor of vendorIds) {
      for (const [name, example] of Object.entries(MINT_EXAMPLES[vendor])) {
        const response = await documented(`/v1/keys/${vendor}`, "POST", `/v1/keys/${vendor}`, {
          headers: { ...(await bearer(uniqueUser())), "CF-Connecting-IP": "192.0.2.10" },
          body: example.request,
        });
        expect(response.status, `${vendor} ${name}`).toBe(201);
        const minted = (await response.json()) as Json;
        // Same fields as the example: the example shows what this request really gets.
        expect(Object.keys(minted).sort(), `${vendor} ${name}`).toEqual(Object.keys(example.response).sort());
        // The link to the audit record resolves.
        const record = await documented("/v1/audit/{issuance_id}", "GET", `/v1/audit/${minted.issuance_id}`, {
          headers: admin,
        });
        expect(record.status).toBe(200);
      }
    }
  });

  it("another vendor's schema refuses a vendor's answer", async () => {
    const response = await mint("soniox", uniqueUser());
    const minted = await response.json();
    expect(schemaProblems(document, { $ref: "#/components/schemas/soniox_minted_key" }, minted)).toEqual([]);
    expect(schemaProblems(document, { $ref: "#/components/schemas/speechmatics_minted_key" }, minted)).not.toEqual([]);
  });

  it("on every path: preflight 204, 405 outside a preflight, 403 for a foreign origin, 500 for bad ALLOWED_ORIGINS", async () => {
    for (const [pattern, methods] of Object.entries(ROUTE_METHODS)) {
      for (const path of documentedPaths(pattern)) {
        const url = concrete(path);
        const method = methods.split(", ")[0] as string;
        const preflight = { Origin: ALLOWED_ORIGIN, "Access-Control-Request-Method": method };
        // The operator's paths refuse every origin but the broker's own, listed or not, without reading the list.
        const operatorPath = OPERATOR_PATH.test(path);
        expect((await documented(path, "OPTIONS", url, { headers: preflight })).status).toBe(operatorPath ? 403 : 204);
        const notPreflight = await documented(path, "OPTIONS", url);
        expect(notPreflight.status).toBe(405);
        expect(notPreflight.headers.get("allow")).toBe(methods);
        const foreign = { Origin: "https://evil.example" };
        expect((await documented(path, "OPTIONS", url, { headers: { ...preflight, ...foreign } })).status).toBe(403);
        expect((await documented(path, method, url, { headers: foreign })).status).toBe(403);
        const badOrigins = { env: { ALLOWED_ORIGINS: "https://app.example.com/" }, headers: preflight };
        expect((await documented(path, "OPTIONS", url, badOrigins)).status).toBe(operatorPath ? 403 : 500);
      }
    }
  });

  it("the public and end-user routes", async () => {
    const user = await bearer(uniqueUser());
    const origin = { Origin: ALLOWED_ORIGIN };
    expect((await documented("/healthz", "GET", "/healthz", { headers: origin })).status).toBe(200);
    const unbound = { env: { AUDIT: undefined } as Partial<Env> };
    expect((await documented("/healthz", "GET", "/healthz", unbound)).status).toBe(503);
    expect((await documented("/openapi.json", "GET", "/openapi.json", { headers: origin })).status).toBe(200);

    expect((await documented("/v1/vendors", "GET", "/v1/vendors", { headers: { ...user, ...origin } })).status).toBe(
      200,
    );
    expect((await documented("/v1/vendors", "GET", "/v1/vendors")).status).toBe(401);
    const jwksDown = { headers: user, env: { AUTH_JWKS_URL: `${emulatorUrl}/jwks-unavailable` } };
    expect((await documented("/v1/vendors", "GET", "/v1/vendors", jwksDown)).status).toBe(503);
    const badPolicy = { headers: user, env: { POLICY: "{not json" } as Partial<Env> };
    expect((await documented("/v1/vendors", "GET", "/v1/vendors", badPolicy)).status).toBe(500);

    expect((await documented("/v1/me/usage", "GET", "/v1/me/usage", { headers: user })).status).toBe(200);
    expect((await documented("/v1/me/usage", "GET", "/v1/me/usage")).status).toBe(401);
    const unreachable = { idFromName: () => ({}), get: () => ({ usage: () => Promise.reject(new Error("outage")) }) };
    const stateDown = { headers: user, env: { USER_STATE: unreachable as unknown as Env["USER_STATE"] } };
    expect((await documented("/v1/me/usage", "GET", "/v1/me/usage", stateDown)).status).toBe(503);
  });

  it("a mint's refusals and failures", async () => {
    const path = "/v1/keys/soniox";
    const asUser = async (options: CallOptions = {}) =>
      documented(path, "POST", path, {
        body: {},
        ...options,
        headers: { ...(await bearer(uniqueUser())), ...options.headers },
      });
    const cases: [number, CallOptions][] = [
      [400, { body: { ttl_seconds: 0 } }],
      [403, { env: { POLICY: JSON.stringify({ soniox: { enabled: false } }) } as Partial<Env> }],
      [404, { env: { SONIOX_API_KEY: undefined } }],
      [413, { body: JSON.stringify({ pad: "x".repeat(20_000) }), headers: { "content-type": "application/json" } }],
      [415, { body: "ttl_seconds=60", headers: { "content-type": "application/x-www-form-urlencoded" } }],
      [429, { env: { MINT_RATE_LIMITER: { limit: async () => ({ success: false }) } } as Partial<Env> }],
      [429, { env: { SONIOX_BASE_URL: faultUrl("rate-limited") } }],
      [500, { env: { AUDIT: undefined } as Partial<Env> }],
      [502, { env: { SONIOX_BASE_URL: faultUrl("server-error") } }],
      [502, { env: { SONIOX_BASE_URL: faultUrl("rejected") } }],
      [502, { env: { SONIOX_BASE_URL: faultUrl("forbidden") } }],
      [503, { env: { AUDIT: kvWithFailingWrites() } }],
      [503, { env: { AUTH_JWKS_URL: `${emulatorUrl}/jwks-unavailable` } }],
      [504, { env: { SONIOX_BASE_URL: faultUrl("slow"), UPSTREAM_TIMEOUT_MS: "300" } }],
    ];
    for (const [status, options] of cases) {
      expect((await asUser(options)).status, JSON.stringify(options.env ?? options.body)).toBe(status);
    }
    expect((await documented(path, "POST", path, { body: {} })).status).toBe(401);

    // The daily quota: the first key is issued, the second refused until midnight.
    const quota = { DAILY_MINT_QUOTA: "1" };
    const user = await bearer(uniqueUser());
    expect((await documented(path, "POST", path, { headers: user, body: {}, env: quota })).status).toBe(201);
    const refused = await documented(path, "POST", path, { headers: user, body: {}, env: quota });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("the admin and audit routes", async () => {
    const clientRef = uniqueUser();
    const deny = { headers: admin, body: { client_ref: clientRef, reason: "test" } };
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", deny)).status).toBe(200);
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", { ...deny, body: {} })).status).toBe(400);
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", { body: {} })).status).toBe(401);
    const noAdmin = { ...deny, env: { ADMIN_TOKEN: undefined } };
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", noAdmin)).status).toBe(403);
    const failingKv = { ...deny, env: { AUDIT: kvWithFailingWrites() } };
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", failingKv)).status).toBe(503);
    const text = { ...deny, body: "client_ref=x", headers: { ...admin, "content-type": "text/plain" } };
    expect((await documented("/v1/admin/deny", "POST", "/v1/admin/deny", text)).status).toBe(415);
    const one = "/v1/admin/deny/{client_ref}";
    expect((await documented(one, "GET", `/v1/admin/deny/${clientRef}`, { headers: admin })).status).toBe(200);
    expect((await documented(one, "GET", `/v1/admin/deny/${"x".repeat(300)}`, { headers: admin })).status).toBe(400);
    expect((await documented(one, "DELETE", `/v1/admin/deny/${clientRef}`, { headers: admin })).status).toBe(200);

    const list = "/v1/audit";
    expect(
      (await documented(list, "GET", `${list}?client_ref=${clientRef}&limit=1000`, { headers: admin })).status,
    ).toBe(200);
    for (const query of [
      "limit=0",
      "limit=1001",
      "since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z",
      "colour=red",
    ]) {
      expect((await documented(list, "GET", `${list}?${query}`, { headers: admin })).status, query).toBe(400);
    }
    expect((await documented(list, "GET", list)).status).toBe(401);
    expect(
      (await documented(list, "GET", list, { headers: admin, env: { AUDIT: undefined } as Partial<Env> })).status,
    ).toBe(500);

    const exportPath = "/v1/audit/export";
    const since = new Date(Date.now() - 3_600_000).toISOString();
    expect(
      (await documented(exportPath, "GET", `${exportPath}?since=${since}&limit=5`, { headers: admin })).status,
    ).toBe(200);
    // The export answers with its own Response: `Vary: Origin` must reach it too.
    const fromConsole = { headers: { ...admin, Origin: "https://broker.test" } };
    const streamed = await documented(exportPath, "GET", `${exportPath}?since=${since}&limit=5`, fromConsole);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("vary")).toBe("Origin");
    const fromApp = { headers: { ...admin, Origin: ALLOWED_ORIGIN } };
    expect((await documented(exportPath, "GET", `${exportPath}?since=${since}&limit=5`, fromApp)).status).toBe(403);
    expect((await documented(exportPath, "GET", exportPath, { headers: admin })).status).toBe(400);

    const record = "/v1/audit/{issuance_id}";
    expect((await documented(record, "GET", "/v1/audit/01KJQGWFM8Q7T2V1D9X4ZB6N3C", { headers: admin })).status).toBe(
      404,
    );
    expect((await documented(record, "GET", "/v1/audit/not-an-id", { headers: admin })).status).toBe(404);
  });

  it("405 with Allow for a method a path does not answer", async () => {
    for (const [pattern, methods] of Object.entries(ROUTE_METHODS)) {
      for (const path of documentedPaths(pattern)) {
        const response = await call(concrete(path), { method: "PUT" });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe(methods);
        // PUT has no operation; its answer is the shared 405 of the path's preflight.
        expect(await answerProblems(document, path, "OPTIONS", response)).toEqual([]);
      }
    }
  });
});

describe("the document's examples work", () => {
  it("GET /v1/audit with its example parameters, cursor included, lists on after the example record", async () => {
    // The example record and an older one of the same user, vendor and day, in the real audit store.
    const at = Date.parse(AUDIT_RECORD_EXAMPLE.at) - 60_000;
    const older = { ...AUDIT_RECORD_EXAMPLE, id: issuanceIdSource()(new Date(at)), at: new Date(at).toISOString() };
    const store = new AuditStore(auditKv, 3600);
    await store.write(AUDIT_RECORD_EXAMPLE);
    await store.write(older);

    const operation = document.paths["/v1/audit"]?.get as { parameters: Json[] };
    const examples = operation.parameters
      .filter((parameter) => parameter.in === "query")
      .map((parameter): [string, string] => [String(parameter.name), String(parameter.example)]);
    expect(examples.map(([name]) => name)).toContain("cursor");
    const url = `/v1/audit?${new URLSearchParams(examples)}`;
    const response = await documented("/v1/audit", "GET", url, { headers: admin });

    expect(response.status, await response.clone().text()).toBe(200);
    const ids = ((await response.json()) as { records: { id: string }[] }).records.map((record) => record.id);
    expect(ids).toContain(older.id);
    expect(ids).not.toContain(EXAMPLE_ISSUANCE_ID);
  });
});
