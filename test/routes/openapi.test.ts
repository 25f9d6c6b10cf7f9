import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { auditPageSchema, auditRecordSchema } from "../../src/audit/record";
import { ERROR_CODES } from "../../src/errors";
import { ROUTE_METHODS } from "../../src/index";
import { buildOpenApiDocument } from "../../src/openapi/document";
import {
  errorResponseSchema,
  healthResponseSchema,
  mintedKeySchema,
  vendorListSchema,
} from "../../src/openapi/schemas";
import { vendorIds } from "../../src/vendors/registry";
import { ADMIN_TOKEN, call, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

async function servedDocument(): Promise<OpenApiDocument> {
  const response = await call("/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

/** Route patterns as Hono writes them, turned into the document's paths. */
function documentedPaths(pattern: string): string[] {
  if (pattern === "/v1/keys/:vendor") return vendorIds.map((id) => `/v1/keys/${id}`);
  return [pattern.replace(/:id$/, "{issuance_id}").replace(/:client_ref$/, "{client_ref}")];
}

describe("GET /openapi.json", () => {
  it("is exactly what the zod schemas generate (run `npm run openapi` if this fails)", async () => {
    expect(await servedDocument()).toEqual(buildOpenApiDocument());
  });

  it("documents every route with its method", async () => {
    const document = await servedDocument();
    for (const [pattern, method] of Object.entries(ROUTE_METHODS)) {
      for (const path of documentedPaths(pattern)) {
        for (const one of method.split(", ")) expect(document.paths[path], path).toHaveProperty(one.toLowerCase());
      }
    }
    const routeCount = Object.keys(ROUTE_METHODS).length - 1 + vendorIds.length;
    expect(Object.keys(document.paths)).toHaveLength(routeCount);
  });

  it("documents every error code, in the Error schema and in some response", async () => {
    const document = await servedDocument();
    const errorSchema = JSON.stringify(document.components.schemas.Error);
    const descriptions = Object.values(document.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => Object.values(operation.responses).map((response) => response.description))
      .join(", ");
    for (const code of Object.keys(ERROR_CODES)) {
      expect(errorSchema).toContain(`"${code}"`);
      expect(descriptions).toMatch(new RegExp(`\\b${code}\\b`));
    }
  });

  it("documents each vendor's request body as the validator enforces it", async () => {
    const { components } = await servedDocument();
    expect(components.schemas.speechmatics_key_request).toMatchObject({
      additionalProperties: false,
      properties: {
        ttl_seconds: { type: "integer", minimum: 60, maximum: 3600 },
        type: { enum: ["rt", "batch"], default: "rt" },
      },
    });
    expect(Object.keys(components.schemas.acedata_key_request?.properties ?? {})).toEqual([
      "ttl_seconds",
      "limited_amount",
    ]);
  });
});

describe("real responses match the documented schemas", () => {
  const conforms = (schema: z.ZodMiniType, value: unknown) => {
    const result = z.safeParse(schema, value);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  };

  it("for every route", async () => {
    conforms(healthResponseSchema, await (await call("/healthz")).json());
    conforms(vendorListSchema, await (await call("/v1/vendors", { headers: await bearer("alice") })).json());
    const user = uniqueUser();
    for (const vendor of vendorIds) {
      const minted = await mint(vendor, user, { headers: { "CF-Connecting-IP": "192.0.2.10" } });
      expect(minted.status).toBe(201);
      conforms(mintedKeySchema, await minted.json());
    }
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const page = (await (await call(`/v1/audit?client_ref=${user}`, { headers: admin })).json()) as {
      records: { id: string }[];
    };
    conforms(auditPageSchema, page);
    expect(page.records).toHaveLength(vendorIds.length);
    conforms(auditRecordSchema, await (await call(`/v1/audit/${page.records[0]?.id}`, { headers: admin })).json());
    conforms(errorResponseSchema, await (await call("/v1/keys/soniox", { method: "POST" })).json());
  });
});
