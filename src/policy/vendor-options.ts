import openapi from "../generated/openapi.json";
import type { VendorId } from "../vendors/registry";

/** One vendor option as JSON Schema, the way the generated OpenAPI document states it. */
export interface OptionSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  [keyword: string]: unknown;
}

type RequestSchemas = Record<string, { properties?: Record<string, OptionSchema> }>;

/**
 * The vendor's body fields besides `ttl_seconds`, as JSON Schema, from the
 * OpenAPI document generated at build time from the same zod schemas that
 * validate requests. Each call returns fresh copies, safe to narrow.
 */
export function optionSchemas(id: VendorId): Record<string, OptionSchema> {
  const schemas = openapi.components.schemas as unknown as RequestSchemas;
  const { ttl_seconds: _ttl, ...options } = schemas[`${id}_key_request`]?.properties ?? {};
  // The document's prose stays in the document: a listing carries the validation keywords only.
  return Object.fromEntries(
    Object.entries(options).map(([name, { description: _text, ...schema }]) => [name, schema as OptionSchema]),
  );
}

/** True for options whose values are numbers, the only ones a `min`/`max` rule may narrow. */
export function isNumeric(schema: OptionSchema | undefined): boolean {
  return schema?.type === "integer" || schema?.type === "number";
}
