import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import {
  dereference,
  type Json,
  type OpenApiDocument,
  schemaProblems,
  visitSchemas,
} from "../helpers/openapi-document";

/**
 * The generated document on its own: valid OpenAPI 3.1, every example valid
 * against the schema it illustrates, and the completeness the API reference
 * relies on. The worker suite holds the broker's real answers to it.
 */
const text = await readFile(new URL("../../src/generated/assets/openapi.json", import.meta.url), "utf8");
const document = JSON.parse(text) as OpenApiDocument & {
  info: { version: string };
  tags: { name: string }[];
  "x-tagGroups": { name: string; tags: string[] }[];
};
const packageJson = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const METHODS = ["get", "post", "delete", "options"];

interface Operation {
  operationId: string;
  summary?: string;
  tags?: string[];
  description?: string;
  security?: unknown[];
  parameters?: Json[];
  requestBody?: { content: Record<string, Json> };
  responses: Record<string, Json>;
}

function operations(): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, string, Operation] => [
      path,
      method,
      operation as unknown as Operation,
    ]),
  );
}

/** An example found in the document, and the schema it must fit. */
interface Example {
  where: string;
  schema: unknown;
  value: unknown;
}

/** Examples of one place that holds `example` or `examples` beside a `schema` (media type, parameter, header). */
function examplesOf(where: string, holder: Json): Example[] {
  const found: Example[] = [];
  if ("example" in holder) found.push({ where, schema: holder.schema, value: holder.example });
  for (const [name, example] of Object.entries((holder.examples as Record<string, Json> | undefined) ?? {})) {
    found.push({ where: `${where} examples.${name}`, schema: holder.schema, value: example.value });
  }
  return found;
}

/** Every example in the document: media types, parameters and headers, in paths and components. */
function allExamples(): Example[] {
  const found: Example[] = [];
  const response = (where: string, value: Json) => {
    const resolved = dereference(document, value) as Json;
    for (const [name, header] of Object.entries((resolved.headers as Record<string, Json>) ?? {})) {
      found.push(...examplesOf(`${where} header ${name}`, header));
    }
    for (const [type, media] of Object.entries((resolved.content as Record<string, Json>) ?? {})) {
      found.push(...examplesOf(`${where} ${type}`, media));
    }
  };
  for (const [path, method, operation] of operations()) {
    const where = `${method.toUpperCase()} ${path}`;
    for (const parameter of operation.parameters ?? []) {
      found.push(...examplesOf(`${where} parameter ${parameter.name}`, parameter));
    }
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      found.push(...examplesOf(`${where} request ${type}`, media));
    }
    for (const [status, value] of Object.entries(operation.responses)) response(`${where} ${status}`, value);
  }
  for (const [name, value] of Object.entries(document.components.responses ?? {})) response(`responses.${name}`, value);
  for (const [name, header] of Object.entries(document.components.headers ?? {})) {
    found.push(...examplesOf(`headers.${name}`, header));
  }
  return found;
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text) as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has examples that each fit their own schema", () => {
    const examples = allExamples();
    expect(examples.length).toBeGreaterThan(100);
    for (const { where, schema, value } of examples) {
      expect(schema, where).toBeDefined();
      expect(schemaProblems(document, schema, value), where).toEqual([]);
    }
  });

  it("has an example for every request body, response body, parameter and header", () => {
    const described = new Set(allExamples().map((example) => example.where.replace(/ examples\.\S+$/, "")));
    for (const [path, method, operation] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const parameter of operation.parameters ?? []) {
        expect(described, `${where} parameter ${parameter.name}`).toContain(`${where} parameter ${parameter.name}`);
      }
      for (const type of Object.keys(operation.requestBody?.content ?? {})) {
        expect(described).toContain(`${where} request ${type}`);
      }
      for (const [status, value] of Object.entries(operation.responses)) {
        const resolved = dereference(document, value) as { headers?: Json; content?: Json };
        for (const name of Object.keys(resolved.headers ?? {})) {
          expect(described).toContain(`${where} ${status} header ${name}`);
        }
        for (const type of Object.keys(resolved.content ?? {}))
          expect(described).toContain(`${where} ${status} ${type}`);
      }
    }
  });

  it("describes every operation, parameter and property, and states each operation's security", () => {
    for (const [path, method, operation] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).toBeTruthy();
      expect(operation.description, where).toBeTruthy();
      expect(operation.security, where).toBeDefined();
      for (const parameter of operation.parameters ?? []) expect(parameter.description, where).toBeTruthy();
    }
    const undescribed: string[] = [];
    visitSchemas(document, (where, property) => {
      if (typeof property.description !== "string" || property.description === "") undescribed.push(where);
    });
    expect(undescribed).toEqual([]);
  });

  it("leaves no bound zod gives every integer, ±2^53", () => {
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  it("gives every answer X-Request-Id and Cache-Control, 429 Retry-After, and 405 Allow", () => {
    for (const [path, method, operation] of operations()) {
      for (const [status, value] of Object.entries(operation.responses)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        const headers = Object.keys((dereference(document, value) as { headers?: Json }).headers ?? {});
        expect(headers, where).toEqual(expect.arrayContaining(["X-Request-Id", "Cache-Control", "Vary"]));
        if (status === "429") expect(headers, where).toContain("Retry-After");
        if (status === "405") expect(headers, where).toContain("Allow");
      }
    }
  });

  it("documents a CORS preflight and the origin refusal on every path", () => {
    for (const [path, item] of Object.entries(document.paths)) {
      const preflight = item.options as unknown as Operation | undefined;
      // The operator's paths refuse every preflight, before reading ALLOWED_ORIGINS (src/http/cors.ts).
      const answered = /^\/v1\/(admin|audit)(\/|$)/.test(path) ? ["403", "405", "500"] : ["204", "403", "405", "500"];
      expect(Object.keys(preflight?.responses ?? {}), path).toEqual(answered);
      for (const [method, operation] of Object.entries(item)) {
        expect(Object.keys((operation as unknown as Operation).responses), `${method} ${path}`).toContain("403");
      }
    }
    expect(METHODS).toEqual(expect.arrayContaining(operations().map(([, method]) => method)));
  });

  it("types the audit query parameters as the broker takes them", () => {
    const parameter = (path: string, name: string) =>
      (document.paths[path]?.get as unknown as Operation).parameters?.find((p) => p.name === name)?.schema;
    expect(parameter("/v1/audit", "limit")).toEqual({ type: "integer", minimum: 1, maximum: 1000, default: 100 });
    expect(parameter("/v1/audit/export", "limit")).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 10000,
      default: 10000,
    });
  });

  it("gives issuance ids their pattern and the audit record's vendor its enum", () => {
    const schemas = document.components.schemas as Record<string, { properties: Record<string, Json> }>;
    expect(schemas.AuditRecord?.properties.id?.pattern).toBe("^[0-9A-HJKMNP-TV-Z]{26}$");
    for (const name of Object.keys(schemas).filter((name) => name.endsWith("_minted_key"))) {
      const variants = (schemas[name] as { oneOf?: { properties: Json }[] }).oneOf ?? [
        schemas[name] as { properties: Json },
      ];
      for (const variant of variants) {
        expect((variant.properties.issuance_id as Json).pattern, name).toBe("^[0-9A-HJKMNP-TV-Z]{26}$");
      }
    }
    const get = document.paths["/v1/audit/{issuance_id}"]?.get as unknown as Operation;
    expect(get.parameters?.[0]?.schema).toMatchObject({ pattern: "^[0-9A-HJKMNP-TV-Z]{26}$" });
    const vendor = schemas.AuditRecord?.properties.vendor as { anyOf: Json[] };
    expect(vendor.anyOf).toContainEqual(
      expect.objectContaining({ enum: expect.arrayContaining(["soniox", "elevenlabs"]) }),
    );
  });

  it("links every mint to its audit record", () => {
    const target = operations().find(([, , operation]) => operation.operationId === "get_audit_record");
    expect(target).toBeDefined();
    for (const [path, , operation] of operations().filter(
      ([path, method]) => path.startsWith("/v1/keys/") && method === "post",
    )) {
      const created = dereference(document, operation.responses["201"]) as { links?: Record<string, Json> };
      expect(created.links?.audit_record, path).toMatchObject({
        operationId: "get_audit_record",
        parameters: { issuance_id: "$response.body#/issuance_id" },
      });
    }
  });

  it("takes info.version from package.json, and so does its own example", () => {
    expect(document.info.version).toBe(packageJson.version);
    const served = document.paths["/openapi.json"]?.get as unknown as Operation;
    const example = (dereference(document, served.responses["200"]) as { content: Record<string, Json> }).content[
      "application/json"
    ]?.examples as Record<string, { value: { info: { version: string } } }>;
    expect(example.document?.value.info.version).toBe(packageJson.version);
  });

  it("tags every operation once, groups every tag once, and keeps the preflights in a last group of their own", () => {
    const tags = document.tags.map((tag) => tag.name);
    const groups = document["x-tagGroups"];
    expect(groups.flatMap((group) => group.tags).sort()).toEqual([...tags].sort());
    const preflightGroup = groups.at(-1);
    expect(preflightGroup?.name).toBe("CORS preflight");
    expect(preflightGroup?.tags).toHaveLength(1);
    for (const [path, method, operation] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.tags, where).toHaveLength(1);
      expect(tags, where).toContain(operation.tags?.[0]);
      expect(operation.tags?.[0] === preflightGroup?.tags[0], where).toBe(method === "options");
    }
  });

  it("writes summaries as plain text: the navigation and the example menus show them unrendered", () => {
    const marked: string[] = [];
    const visit = (where: string, value: unknown) => {
      if (Array.isArray(value)) value.forEach((item, i) => visit(`${where}/${i}`, item));
      else if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
          if (key === "summary" && typeof item === "string" && /[`*]|\]\(/.test(item)) marked.push(`${where}: ${item}`);
          else visit(`${where}/${key}`, item);
        }
      }
    };
    visit("", document);
    expect(marked).toEqual([]);
  });
});
