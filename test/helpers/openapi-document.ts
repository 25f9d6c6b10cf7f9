import { type Schema, Validator } from "@cfworker/json-schema";

/**
 * Reading the OpenAPI document the way a client would, for tests that hold it
 * to itself (its examples) and to the broker's real answers. Pure code, so it
 * runs in Node and inside workerd (@cfworker/json-schema needs no `eval`).
 */

export type Json = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

/** The value a local JSON pointer (`#/components/...`) names. */
function pointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`not a local reference: ${ref}`);
  let node: unknown = document;
  for (const token of ref.slice(2).split("/")) {
    const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) throw new Error(`dangling reference: ${ref}`);
  }
  return node;
}

/**
 * `node` with every local `$ref` replaced by what it points to. Keywords
 * beside a `$ref` (a Reference Object's `description`, say) win over the
 * target's, as OpenAPI 3.1 says. The document has no cycles.
 */
export function dereference(document: OpenApiDocument, node: unknown, depth = 0): unknown {
  if (depth > 64) throw new Error("reference cycle");
  if (Array.isArray(node)) return node.map((item) => dereference(document, item, depth + 1));
  if (node === null || typeof node !== "object") return node;
  const { $ref, ...rest } = node as Json;
  const base = typeof $ref === "string" ? (dereference(document, pointer(document, $ref), depth + 1) as Json) : {};
  const own = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, dereference(document, value, depth + 1)]),
  );
  return { ...base, ...own };
}

/** What is wrong with `value` under `schema` (a schema of the document, references allowed); empty when nothing. */
export function schemaProblems(document: OpenApiDocument, schema: unknown, value: unknown): string[] {
  const validator = new Validator(dereference(document, schema) as Schema, "2020-12", false);
  const { valid, errors } = validator.validate(value);
  return valid ? [] : errors.map((error) => `${error.instanceLocation}: ${error.error}`);
}

/** The response the document gives for one operation and status, references resolved. */
export function documentedResponse(document: OpenApiDocument, path: string, method: string, status: number) {
  const operation = document.paths[path]?.[method.toLowerCase()] as { responses?: Json } | undefined;
  if (!operation) throw new Error(`no ${method} ${path} in the document`);
  const response = operation.responses?.[String(status)];
  return response === undefined
    ? undefined
    : (dereference(document, response) as { headers?: Record<string, Json>; content?: Record<string, Json> });
}

/** Response headers the document should account for whenever the broker sends them. */
const TRACKED_HEADERS = /^(x-request-id|cache-control|vary|retry-after|allow|access-control-.*)$/i;

/** A header's text as its schema's type. */
function headerValue(schema: Json, text: string): unknown {
  return schema.type === "integer" && /^\d+$/.test(text) ? Number(text) : text;
}

/**
 * How a real answer departs from the document: a status the operation does not
 * list, a body its schema refuses (each NDJSON line, for the export), a
 * required header missing, a header value its schema refuses, or a tracked
 * header the response does not document.
 */
export async function answerProblems(
  document: OpenApiDocument,
  path: string,
  method: string,
  response: Response,
): Promise<string[]> {
  const where = `${method} ${path} ${response.status}`;
  const documented = documentedResponse(document, path, method, response.status);
  if (!documented) return [`${where}: status not documented`];
  const problems: string[] = [];

  const headers = Object.fromEntries(
    Object.entries(documented.headers ?? {}).map(([name, header]) => [name.toLowerCase(), header]),
  );
  for (const [name, header] of Object.entries(headers)) {
    const text = response.headers.get(name);
    if (text === null) {
      if (header.required === true) problems.push(`${where}: required header ${name} missing`);
      continue;
    }
    const schema = header.schema as Json;
    for (const problem of schemaProblems(document, schema, headerValue(schema, text))) {
      problems.push(`${where}: header ${name}: ${problem} (${text})`);
    }
  }
  response.headers.forEach((_value, name) => {
    if (TRACKED_HEADERS.test(name) && !(name.toLowerCase() in headers)) {
      problems.push(`${where}: header ${name} is sent but not documented`);
    }
  });

  const text = await response.text();
  const media = Object.entries(documented.content ?? {});
  if (media.length === 0) {
    if (text !== "") problems.push(`${where}: a body, where the document has none`);
    return problems;
  }
  const contentType = response.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
  const entry = media.find(([type]) => type === contentType);
  if (!entry) return [...problems, `${where}: content type ${contentType} not documented`];
  const schema = (entry[1] as Json).schema;
  const values =
    contentType === "application/x-ndjson"
      ? text
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line))
      : [JSON.parse(text)];
  for (const value of values) {
    for (const problem of schemaProblems(document, schema, value)) problems.push(`${where}: body ${problem}`);
  }
  return problems;
}

/** Calls `onProperty` for every property of every schema in the document, with where it is. */
export function visitSchemas(document: OpenApiDocument, onProperty: (where: string, property: Json) => void): void {
  const walk = (schema: unknown, where: string): void => {
    if (schema === null || typeof schema !== "object") return;
    const node = schema as Json;
    for (const [name, property] of Object.entries((node.properties as Record<string, Json>) ?? {})) {
      onProperty(`${where}.${name}`, property);
      walk(property, `${where}.${name}`);
    }
    if (node.items !== undefined) walk(node.items, `${where}[]`);
    if (typeof node.additionalProperties === "object") walk(node.additionalProperties, `${where}.*`);
    // `if`/`then`/`else` restate properties described beside them, so they are not walked.
    for (const keyword of ["anyOf", "oneOf", "allOf"]) {
      for (const member of (node[keyword] as unknown[]) ?? []) walk(member, where);
    }
  };
  for (const [name, schema] of Object.entries(document.components.schemas ?? {})) walk(schema, name);
  const holders = (value: unknown, where: string): void => {
    if (value === null || typeof value !== "object") return;
    for (const [key, child] of Object.entries(value as Json)) {
      if (key === "example" || key === "examples") continue;
      if (key === "schema") walk(child, where);
      else holders(child, `${where}/${key}`);
    }
  };
  holders(document.paths, "paths");
  holders(document.components.responses, "responses");
  holders(document.components.headers, "headers");
}
