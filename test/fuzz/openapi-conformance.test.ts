import { encodePointer, type Schema, Validator } from "@cfworker/json-schema";
import * as fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_PATH } from "../../src/http/cors";
import { ADMIN_TOKEN, call } from "../helpers/broker";
import {
  ACCEPTED_METHODS,
  ALLOWED_ORIGIN,
  BROKER_ORIGIN,
  chaoticRequestArb,
  type Credentials,
  denyBodyArb,
  encodeSegment,
  headerAscii,
  issuanceIdArb,
  makeCredentials,
  queryArb,
  type RequestSpec,
  VALID_MINT_BODIES,
} from "./arbitraries";
import { type OpenApiDocument as DocumentOfHelpers, schemaProblems } from "../helpers/openapi-document";
import { fuzzParameters, fuzzSeed, PROPERTY_TIMEOUT_MS } from "./runs";
import { describe as describeExchange, type Exchange, send } from "./send";

/*
 * Every answer to a documented route matches the broker's own served
 * `/openapi.json`: the status is one the operation documents, the body validates
 * against that response's schema (JSON, or each NDJSON line), the content type is
 * one it lists, and its required headers are present and valid. The document is
 * read generically, `$ref`s and all, so this test follows the document as it
 * grows.
 *
 * `VITE_FUZZ_SURVEY=1` runs every generated request and reports each kind of
 * mismatch found instead of stopping (and shrinking) at the first one.
 */

const DOC_ID = "https://broker.test/openapi.json";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const env = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
const survey = env.VITE_FUZZ_SURVEY === "1";

type Json = Record<string, unknown>;

interface Operation extends Json {
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

interface OpenApiDocument extends Json {
  paths: Record<string, Record<string, Operation>>;
}

/** One documented operation. */
interface Route {
  template: string;
  method: string;
  operation: Operation;
}

/** A value somewhere in the document, and the JSON pointer (as keys) where it sits. */
interface Located {
  value: Json;
  keys: string[];
}

let document: OpenApiDocument;
/** The document without examples and links, whose values (an audit record's `id`) the validator would take for schema ids. */
let schemaDocument: Schema;
let routes: Route[];
let credentials: Credentials;
const validators = new Map<string, Validator>();

beforeAll(async () => {
  const response = await call("/openapi.json");
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
  schemaDocument = withoutExamples(document) as Schema;
  routes = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ template, method, operation })),
  );
  credentials = await makeCredentials(`conformance-${fuzzSeed}-${crypto.randomUUID().slice(0, 8)}`);
});

/** Keywords that name sub-schemas by any key, so that a property called `example` is kept. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas", "schemas"]);
const NOT_SCHEMAS = new Set(["example", "examples", "links"]);

function withoutExamples(value: unknown, parentKey = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutExamples(item));
  if (!value || typeof value !== "object") return value;
  const keep = SCHEMA_MAPS.has(parentKey);
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => keep || !NOT_SCHEMAS.has(key))
      .map(([key, item]) => [key, withoutExamples(item, keep ? "" : key)]),
  );
}

function at(keys: string[]): unknown {
  let value: unknown = document;
  for (const key of keys) value = (value as Json | undefined)?.[key];
  return value;
}

/** Follows `$ref: "#/…"` (a response, a header) to the object it names. */
function located(keys: string[]): Located | undefined {
  let current: Located = { value: at(keys) as Json, keys };
  for (let hops = 0; current.value && typeof current.value.$ref === "string"; hops++) {
    const ref = current.value.$ref;
    if (!ref.startsWith("#/") || hops > 8) return undefined;
    const refKeys = ref
      .slice(2)
      .split("/")
      .map((key) => decodeURIComponent(key).replace(/~1/g, "/").replace(/~0/g, "~"));
    current = { value: at(refKeys) as Json, keys: refKeys };
  }
  return current.value && typeof current.value === "object" ? current : undefined;
}

/** A validator for the schema at `keys`, whose `$ref`s resolve inside the document. */
function validatorAt(keys: string[]): Validator {
  const uri = `${DOC_ID}#${keys.map((key) => `/${encodePointer(key)}`).join("")}`;
  let validator = validators.get(uri);
  if (!validator) {
    validator = new Validator({ $ref: uri } as Schema, "2020-12", false);
    validator.addSchema(schemaDocument, DOC_ID);
    validators.set(uri, validator);
  }
  return validator;
}

function schemaErrors(keys: string[], instance: unknown): string | undefined {
  const result = validatorAt(keys).validate(instance);
  if (result.valid) return undefined;
  return result.errors
    .slice(-3)
    .map((error) => `${error.instanceLocation}: ${error.error}`)
    .join("; ");
}

class Mismatch extends Error {
  constructor(
    readonly kind: string,
    detail: string,
    exchange: Exchange,
  ) {
    super(`${kind}${detail ? `: ${detail}` : ""}\n  ${describeExchange(exchange)}`);
    this.name = "OpenApiMismatch";
  }
}

/** The document's answer for this exchange, or the first way the answer departs from it. */
function checkConformance(template: string, exchange: Exchange): void {
  const fail = (kind: string, detail = "") => {
    throw new Mismatch(kind, detail, exchange);
  };
  const { status, headers, text } = exchange;
  const method = exchange.request.method.toLowerCase();
  const pathItem = document.paths[template] ?? {};
  // HEAD answers as GET does, without a body. A method the path does not document
  // (a 405, say) must be answered with a status some operation of the path documents.
  const operationMethod = method === "head" && pathItem.get ? "get" : method;
  const candidates = pathItem[operationMethod]
    ? [operationMethod]
    : Object.keys(pathItem).filter((name) => HTTP_METHODS.includes(name));
  let response: Located | undefined;
  for (const name of candidates) {
    const responses = ["paths", template, name, "responses"];
    response = located([...responses, String(status)]) ?? located([...responses, `${String(status)[0]}XX`]);
    response ??= located([...responses, "default"]);
    if (response) break;
  }
  const where = `${exchange.request.method} ${template}`;
  if (!response) return fail(`status ${status} is not documented`, where);

  for (const name of Object.keys((response.value.headers ?? {}) as Json)) {
    const header = located([...response.keys, "headers", name]);
    if (!header) return fail(`header ${name} has an unresolvable $ref`, where);
    const value = headers.get(name);
    if (value === null) {
      if (header.value.required === true) fail(`required header ${name} is missing from ${status}`, where);
      continue;
    }
    if (!header.value.schema) continue;
    const schemaType = (located([...header.keys, "schema"])?.value as Json | undefined)?.type;
    const instance =
      (schemaType === "integer" || schemaType === "number") && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    const problem = schemaErrors([...header.keys, "schema"], instance);
    if (problem) fail(`header ${name} does not match its schema in ${status}`, `${where}: ${value}: ${problem}`);
  }

  if (exchange.request.method === "HEAD") return;
  const content = response.value.content as Json | undefined;
  if (!content || Object.keys(content).length === 0) {
    if (text !== "") fail(`${status} documents no body but has one`, where);
    return;
  }
  const mediaType = (headers.get("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const media = content[mediaType] as Json | undefined;
  if (!media) return fail(`content type "${mediaType}" is not documented for ${status}`, where);
  if (!media.schema) return;
  const schemaKeys = [...response.keys, "content", mediaType, "schema"];
  const lines = mediaType === "application/x-ndjson" ? text.split("\n").filter((line) => line !== "") : [text];
  for (const line of lines) {
    let instance: unknown;
    try {
      instance = JSON.parse(line);
    } catch {
      return fail(`the ${status} body is not the documented ${mediaType}`, where);
    }
    const problem = schemaErrors(schemaKeys, instance);
    if (problem) fail(`the ${status} body does not match its schema`, `${where}: ${problem}`);
  }
}

// ---------------------------------------------------------------- requests to documented routes

/** A path segment that stays one segment: encoded, never `.` or `..`. */
const segmentArb = fc
  .oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).map(encodeSegment),
    fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).map(encodeSegment),
    fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })
      .map((bytes) => bytes.map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("")),
    fc.integer({ min: 200, max: 4000 }).map((n) => "x".repeat(n)),
  )
  .filter((segment) => !/^(?:\.|%2e){1,2}$/i.test(segment));

function parameterArb(name: string): fc.Arbitrary<string> {
  switch (name) {
    case "issuance_id":
      // "export" is a route of its own.
      return fc.oneof(
        issuanceIdArb,
        segmentArb.filter((segment) => segment !== "export"),
      );
    case "client_ref":
      return fc.oneof(fc.constantFrom(...credentials.denyRefs).map(encodeSegment), segmentArb);
    default:
      return segmentArb;
  }
}

function pathArb(template: string): fc.Arbitrary<string> {
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
  return fc
    .tuple(...names.map(parameterArb))
    .map((values) => values.reduce((path, value, i) => path.replace(`{${names[i]}}`, value), template));
}

/** What a well-behaved client sends to this operation: its credentials, a body it takes, a preflight's headers. */
function goodPartsArb(route: Route): fc.Arbitrary<Partial<RequestSpec>> {
  const scheme = Object.keys(route.operation.security?.[0] ?? {})[0];
  const authorization =
    scheme === undefined
      ? fc.constant(undefined)
      : /admin/i.test(scheme)
        ? fc.constant(`Bearer ${ADMIN_TOKEN}`)
        : fc.constantFrom(...credentials.valid).map((token) => `Bearer ${token}`);
  const body =
    route.operation.requestBody === undefined
      ? fc.constant(undefined)
      : route.template.startsWith("/v1/admin/")
        ? denyBodyArb(credentials)
        : fc.constantFrom(...VALID_MINT_BODIES);
  if (route.method === "options") {
    return fc.record({
      origin: fc.constant(ALLOWED_ORIGIN),
      preflight: fc.constantFrom("GET", "POST", "DELETE"),
    });
  }
  return fc.record({
    authorization,
    body,
    contentType: fc.constant(route.operation.requestBody === undefined ? undefined : "application/json"),
    // The operator's paths admit the broker's own pages only (src/http/cors.ts).
    origin: fc.option(fc.constant(OPERATOR_PATH.test(route.template) ? BROKER_ORIGIN : ALLOWED_ORIGIN), {
      nil: undefined,
      freq: 2,
    }),
    extra: fc.constantFrom<[string, string][]>([], [["CF-Connecting-IP", "192.0.2.10"]]),
  });
}

const PARTS = ["authorization", "contentType", "origin", "preflight", "extra", "duplicates", "body"] as const;

/** Query strings the operation's own parameters allow: enums, times, page sizes. */
function documentedQueryArb(route: Route): fc.Arbitrary<string> {
  const parameters = ((route.operation.parameters ?? []) as unknown[])
    .map((_, i) => located(["paths", route.template, route.method, "parameters", String(i)])?.value)
    .filter((parameter): parameter is Json => parameter?.in === "query");
  const valueArb = (schema: Json): fc.Arbitrary<string> | undefined => {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum.map(String));
    if (schema.format === "date-time") {
      return fc
        .date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.now() - 86_400_000), noInvalidDate: true })
        .map((date) => date.toISOString());
    }
    if (typeof schema.pattern === "string" && schema.pattern.includes("\\d"))
      return fc.integer({ min: 1, max: 1000 }).map(String);
    return undefined;
  };
  const pairs = parameters.flatMap((parameter) => {
    const value = valueArb((parameter.schema ?? {}) as Json);
    if (!value) return [];
    const name = String(parameter.name);
    return [
      fc.option(
        value.map((v) => `${name}=${encodeURIComponent(v)}`),
        { nil: undefined, freq: 2 },
      ),
    ];
  });
  return fc.tuple(...pairs).map((set) => {
    const present = set.filter((pair) => pair !== undefined);
    return present.length === 0 ? "" : `?${present.join("&")}`;
  });
}

function conformanceArb(): fc.Arbitrary<{ template: string; spec: RequestSpec }> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(route.method.toUpperCase()) },
          { weight: route.method === "get" ? 1 : 0, arbitrary: fc.constant("HEAD") },
          { weight: 1, arbitrary: fc.constantFrom(...ACCEPTED_METHODS) },
        ),
        path: pathArb(route.template),
        query:
          route.method === "get"
            ? fc.oneof(
                { weight: 2, arbitrary: documentedQueryArb(route) },
                { weight: 1, arbitrary: queryArb },
                fc.constant(""),
              )
            : fc.constant(""),
        good: goodPartsArb(route),
        chaotic: chaoticRequestArb(credentials),
        replaced: fc.oneof(
          { weight: 3, arbitrary: fc.constant([] as string[]) },
          { weight: 3, arbitrary: fc.subarray([...PARTS], { minLength: 1, maxLength: 3 }) },
          { weight: 1, arbitrary: fc.constant([...PARTS] as string[]) },
        ),
      })
      .map(({ method, path, query, good, chaotic, replaced }) => {
        const spec: RequestSpec = { method, path: path + query, extra: [], duplicates: [], ...good };
        for (const part of replaced) Object.assign(spec, { [part]: chaotic[part as (typeof PARTS)[number]] });
        return { template: route.template, spec };
      }),
  );
}

// ---------------------------------------------------------------- preflights, as the document describes them

/** What a client may put in `Access-Control-Request-Method`: any method, blanks, any ASCII a header holds. */
const requestMethodArb = fc.oneof(
  fc.constantFrom(...ACCEPTED_METHODS, "frobnicate", ""),
  fc.constantFrom(" ", "\t", " \t ", " POST "),
  fc.string({ unit: headerAscii, maxLength: 20 }),
);

/** A path parameter's value, decoded, and its segment in the URL; never `.` or `..`, which would change the path. */
const pathValueArb = fc
  .oneof(
    issuanceIdArb,
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
    fc.integer({ min: 200, max: 4000 }).map((n) => "x".repeat(n)),
  )
  .filter((value) => value !== "." && value !== "..")
  .map((value) => {
    const segment = encodeSegment(value);
    return { value: decodeURIComponent(segment), segment };
  });

interface Preflight {
  route: Route;
  /** Each parameter's value, by name; absent when not sent. */
  values: Record<string, string | undefined>;
  path: string;
}

/** An `OPTIONS` from the allowed origin (or none) with any values for the preflight's parameters. */
function preflightArb(): fc.Arbitrary<Preflight> {
  const preflights = routes.filter((route) => route.method === "options");
  return fc.constantFrom(...preflights).chain((route) => {
    const names = [...route.template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
    return fc
      .record({
        path: fc.tuple(...names.map(() => pathValueArb)),
        origin: fc.option(fc.constant(ALLOWED_ORIGIN), { nil: undefined, freq: 6 }),
        method: fc.option(requestMethodArb, { nil: undefined, freq: 6 }),
        headers: fc.option(fc.string({ unit: headerAscii, maxLength: 40 }), { nil: undefined }),
      })
      .map(({ path, origin, method, headers }) => ({
        route,
        values: {
          ...Object.fromEntries(names.map((name, i) => [name, path[i]?.value])),
          Origin: origin,
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": headers,
        },
        path: path.reduce((url, { segment }, i) => url.replace(`{${names[i]}}`, segment), route.template),
      }));
  });
}

/** The document's objections to a preflight's values: a required parameter missing, or a value its schema refuses. */
function preflightObjections({ route, values }: Preflight): string[] {
  const keys = ["paths", route.template, "options", "parameters"];
  return ((route.operation.parameters ?? []) as unknown[]).flatMap((_, i) => {
    const parameter = located([...keys, String(i)]);
    if (!parameter) return [`parameter ${i} has an unresolvable $ref`];
    const name = String(parameter.value.name);
    const value = values[name];
    if (!(name in values)) return [`the test sends no ${name}`];
    if (value === undefined) return parameter.value.required === true ? [`${name} is missing`] : [];
    // Not `schemaErrors`: the validator does not index schemas inside the `parameters` array.
    const problems = schemaProblems(document as unknown as DocumentOfHelpers, parameter.value.schema, value);
    return problems.map((problem) => `${name} ${JSON.stringify(value)}: ${problem}`);
  });
}

describe("the served OpenAPI document", () => {
  it(
    "describes every preflight the broker answers: 204 for values it allows, 4xx for others",
    async () => {
      await fc.assert(
        fc.asyncProperty(preflightArb(), async (preflight) => {
          const { values } = preflight;
          const requestHeaders = values["Access-Control-Request-Headers"];
          const exchange = await send({
            method: "OPTIONS",
            path: preflight.path,
            origin: values.Origin,
            preflight: values["Access-Control-Request-Method"],
            extra: requestHeaders === undefined ? [] : [["Access-Control-Request-Headers", requestHeaders]],
            duplicates: [],
          });
          const objections = preflightObjections(preflight);
          const verdict = `${describeExchange(exchange)}\n  the document objects: ${objections.join("; ") || "nothing"}`;
          // The operator's paths document no 204: they refuse every preflight.
          const answered = "204" in preflight.route.operation.responses;
          if (objections.length === 0 && answered) expect(exchange.status, verdict).toBe(204);
          else expect(Math.floor(exchange.status / 100), verdict).toBe(4);
          checkConformance(preflight.route.template, exchange);
        }),
        fuzzParameters(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "describes every answer to a documented route: status, content type, headers and body schema",
    async () => {
      const mismatches = new Map<string, { count: number; example: string }>();
      const statuses = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(conformanceArb(), async ({ template, spec }) => {
          const exchange = await send(spec);
          const key = `${exchange.request.method} ${template} ${exchange.status}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          try {
            checkConformance(template, exchange);
          } catch (error) {
            if (!survey || !(error instanceof Mismatch)) throw error;
            const seen = mismatches.get(error.kind) ?? { count: 0, example: error.message };
            mismatches.set(error.kind, { ...seen, count: seen.count + 1 });
          }
        }),
        fuzzParameters(),
      );
      console.log("answers seen", Object.fromEntries([...statuses].sort()));
      if (survey && mismatches.size > 0) {
        const report = [...mismatches].map(([kind, { count, example }]) => `${count} × ${kind}\n  e.g. ${example}`);
        throw new Error(`${mismatches.size} kinds of mismatch:\n${report.join("\n")}`);
      }
    },
    PROPERTY_TIMEOUT_MS,
  );
});
